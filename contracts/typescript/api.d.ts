// Generated from openapi.yaml by tests/js/generate-types.mjs (openapi-typescript 7.13.0).
// Do not edit: change the contract, then run `npm run generate-types` in tests/js.

export interface paths {
    "/v1/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your containers, with what each may do
         * @description The containers you own, with what a UI needs to draw them: project, image and tag, last known run state and health, capabilities, hot reload, instructions directory and file roots (which are writable). Containers of other accounts are never included. Ordered by `containerId`, a page of `limit` at a time: `nextCursor`, when not null, asks for the next page; paging through lists each container once (one launched meanwhile appears on the page its id falls on). Answered locally: WAP Core is not called, so `status` and `health` are what the service last knew, not a fresh check (`GET /v1/agents/{containerId}/health` asks WAP Core).
         */
        get: operations["listAgents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health summary of all your containers
         * @description One entry per container you own, with its status, health and resource usage as WAP Core last checked them, and counts per health. Containers of other accounts are never included. A container of yours that WAP did not report has status and health `unknown`, `checkedAt` and `resources` null, and is counted under `unknown`.
         */
        get: operations["getAgentsHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/restart": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restart a container
         * @description Restarts the container through WAP Core. Needs the `restart` capability. The answer is the container's state after the restart (`running`).
         */
        post: operations["restartAgent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stop a container
         * @description Stops the container through WAP Core. Needs the `restart` capability. A container that is already stopped answers 409 `conflict`.
         */
        post: operations["stopAgent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/start": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a container
         * @description Starts a stopped container through WAP Core. Needs the `restart` capability. A container that is already running answers 409 `conflict`.
         */
        post: operations["startAgent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/update-version": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Move a container to another released version
         * @description Updates the container's image to `tag` through WAP Core. Only a tag in the local catalogue of released versions of the container's image is accepted (422 `unknown_tag` otherwise, also when WAP's registry lacks it). One update runs at a time per container: another request while it runs answers 409 `update_in_progress`, and a request for the tag the container runs (by then) answers 409 `conflict`; of concurrent requests exactly one reaches WAP. An update still `updating` `UPDATE_STALE_SECONDS` after it began was left by a process that stopped: the next request marks it `interrupted` instead of being refused. The attempt is recorded in the container's version history, and the answer is that record, `completed` or `failed` (with the reason in `error`).
         */
        post: operations["updateAgentVersion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * Released versions and update history of a container
         * @description The released tags of the container's image from the local catalogue (the current one marked), and the container's update history, newest first. Answered locally: WAP Core is not called.
         */
        get: operations["listAgentVersions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/files": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * List a directory inside a container
         * @description Lists the entries of the directory `path`, which must be readable under the container's access parameters. Without `path`, lists the allowed roots (every `writablePaths` and `readOnlyPaths` directory) as directory entries, without calling WAP Core. Needs the `file.read` capability. A path that is not a directory answers 400 `invalid_path`; a directory that does not exist answers 404.
         */
        get: operations["listAgentFiles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/files/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
                /**
                 * @description Absolute path of the file inside the container, without its leading slash (`app/config/agent.yaml` names `/app/config/agent.yaml`), so at most 1023 characters once decoded. It may contain `/`, which clients may also send percent-encoded as `%2F`; it is URL-decoded once.
                 * @example app/config/instructions/system.md
                 */
                path: components["parameters"]["FilePath"];
            };
            cookie?: never;
        };
        /**
         * Read a file inside a container
         * @description Reads the file at `/{path}`, which must be readable under the container's access parameters. Needs the `file.read` capability. By default the answer is JSON: `content` is the text when the bytes are valid UTF-8 (`encoding: utf-8`), base64 otherwise (`encoding: base64`); a file larger than `MAX_FILE_BYTES` (10 MiB by default) answers 413. With `Accept: application/octet-stream` the raw bytes are streamed instead, without that limit, as one of the account's open streams (`STREAMS_PER_ACCOUNT`, 429 beyond it; a stream WAP stalls on for `STREAM_IDLE_SECONDS`, or that outlasts `STREAM_MAX_SECONDS`, is broken off). Both carry the file's `ETag`, to send back as `If-Match` when writing or deleting.
         */
        get: operations["readAgentFile"];
        /**
         * Create or replace a file inside a container
         * @description Writes `content` to the file at `/{path}`, creating it if needed. The path must be under the container's `writablePaths`. Needs the `file.write` capability. With `If-Match`, the write only happens if the file's current ETag matches (412 otherwise, also when the file does not exist). Decoded content larger than `MAX_FILE_BYTES` (10 MiB by default) answers 413; content that is not valid base64 with `encoding: base64` answers 422 `validation_failed`. The answer says whether WAP hot-reloaded the change or the container needs a restart.
         */
        put: operations["writeAgentFile"];
        post?: never;
        /**
         * Delete a file inside a container
         * @description Deletes the file at `/{path}`, which must be under the container's `writablePaths`. Needs the `file.write` capability. With `If-Match`, the delete only happens if the file's current ETag matches (412 otherwise). A file that does not exist answers 404.
         */
        delete: operations["deleteAgentFile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/health": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * Health of a container
         * @description The container's status and health check result, as WAP Core reports them now.
         */
        get: operations["getAgentHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * Resource usage of a container
         * @description One sample of the container's CPU, memory, network, block I/O and process count.
         */
        get: operations["getAgentStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * Recent logs of a container
         * @description The last `tail` log lines of the container (optionally only those since `since`), as JSON. With `follow=true` the answer is a `text/event-stream` instead: first those lines, then each new line as it is logged, one `data:` event per line, until the container stops or the client disconnects. A followed log is one of the account's open streams (at most `STREAMS_PER_ACCOUNT`, 429 beyond it); it ends with `event: end` when no line came for `STREAM_IDLE_SECONDS` or after `STREAM_MAX_SECONDS`; reconnect with `since` to go on.
         */
        get: operations["getAgentLogs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/events": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * Live events a client missed
         * @description The container's recent live events (the Socket.io events of `contracts/events.yaml`) whose `seq` is greater than `since`, oldest first: what a client missed while it was disconnected. The service keeps the most recent `EVENT_WINDOW` (default 500) events of each container. `latestSeq` is the newest `seq` kept for the container (0 when none is kept), the `since` to use next time. When the first returned `seq` is more than `since + 1`, or `latestSeq` is less than `since`, the service no longer has (or cannot reach) the events the client missed: it should reload the container's state instead. Answered locally: WAP Core is not called.
         */
        get: operations["listAgentEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/audit": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * The audit trail of a container
         * @description Every state-changing call made on the container through this API (restart, stop, start, update-version, file write and delete, environment patch) that got past authentication and the ownership check, newest first: who made it, what it aimed at, how it ended (`succeeded`, or `failed` with the problem code it answered, a WAP failure included) and its request id. A call refused because the container is not the caller's leaves no entry. Targets never hold a value: a file's path but not its content, the names an environment patch set and unset but not their values. Pages of `limit` entries; `nextCursor`, when not null, asks for the next (older) page. Answered locally: WAP Core is not called.
         */
        get: operations["listAgentAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{containerId}/env": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        /**
         * Environment variables of a container
         * @description The container's environment variables, sorted by name. Values of names ending in `_KEY`, `_TOKEN` or `_SECRET`, or containing `PASSWORD`, are replaced by `********` (`masked: true`) unless `reveal=true`.
         */
        get: operations["getAgentEnv"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Set or remove environment variables of a container
         * @description A JSON merge patch (RFC 7396) of the container's environment: a string sets a variable, `null` removes it. Protected names (`PROTECTED_ENV_NAMES`; by default `PATH`, `HOME`, `HOSTNAME`, `WAP_AGENT_ID`, `WAP_TRUST_TOKEN`) answer 422 `protected_variable`; a name that does not match `^[A-Za-z_][A-Za-z0-9_]*$` (or is longer than 128 characters) answers 422 as well. The answer lists the resulting environment (masked), the names that actually changed, and whether the container must restart to see them.
         */
        patch: operations["patchAgentEnv"];
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness probe
         * @description Answers 200 while the process serves requests. It checks nothing else (not the database, WAP Core or Redis), so an outage of one of them never gets the instance restarted. No authentication.
         */
        get: operations["getLiveness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness probe
         * @description Whether this instance can serve: the database, WAP Core and, when `REDIS_URL` is set, Redis each answered a trivial request within `READY_CHECK_TIMEOUT` (1 s by default), all checked at once. An answer is kept `READY_CACHE_SECONDS` (2 s by default) and probes arriving together share one check, so probing often never loads WAP Core or the database. No authentication.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description This instance's metrics in Prometheus' text format: answers by operation and status, latencies, WAP Core calls by WAP operation and outcome, open streams, connected sockets, events emitted, health polls, ownership-cache hits and misses, database queries, and the process's own collectors. With several workers, the sum over all of them. No SuperTokens session: when `METRICS_TOKEN` is set it needs `Authorization: Bearer <METRICS_TOKEN>` (scheme `metricsToken`), otherwise nothing. With `METRICS_ENABLED=false` it answers 404.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @example {
         *       "status": "ok"
         *     }
         */
        Liveness: {
            /** @constant */
            status: "ok";
        };
        /**
         * @description One part's result: `ok`; `not configured` (Redis without `REDIS_URL`); `failed` (it answered with an error, or could not be reached); `timeout` (no answer within `READY_CHECK_TIMEOUT`).
         * @enum {string}
         */
        ReadinessCheck: "ok" | "not configured" | "failed" | "timeout";
        /** @description Each part of the instance, and its result. */
        ReadinessChecks: {
            database: components["schemas"]["ReadinessCheck"];
            wap: components["schemas"]["ReadinessCheck"];
            redis: components["schemas"]["ReadinessCheck"];
        };
        /**
         * @example {
         *       "status": "ready",
         *       "checks": {
         *         "database": "ok",
         *         "wap": "ok",
         *         "redis": "ok"
         *       }
         *     }
         */
        Readiness: {
            /** @constant */
            status: "ready";
            checks: components["schemas"]["ReadinessChecks"] & {
                /** @constant */
                database?: "ok";
                /** @constant */
                wap?: "ok";
                /** @enum {unknown} */
                redis?: "ok" | "not configured";
            };
        };
        /**
         * @description An RFC 9457 problem detail. `code` is stable and machine-readable; `type` is derived from it. Other members may be added (RFC 9457 extension members).
         * @example {
         *       "type": "https://armory.dev/problems/capability-missing",
         *       "title": "Capability missing",
         *       "status": 403,
         *       "detail": "This container does not have the file.write capability.",
         *       "code": "capability_missing",
         *       "instance": "/v1/agents/a11ce000-0000-4000-8000-000000000001/files/app/config/agent.yaml"
         *     }
         */
        Problem: {
            /**
             * Format: uri
             * @description A URI identifying the problem type.
             * @example https://armory.dev/problems/container-forbidden
             */
            type: string;
            /** @description A short, human-readable summary of the problem type. */
            title: string;
            /** @description The HTTP status code. */
            status: number;
            /** @description A human-readable explanation of this occurrence. */
            detail: string;
            /**
             * @description The stable machine-readable error code.
             * @enum {string}
             */
            code: "invalid_request" | "malformed_body" | "invalid_path" | "unauthorised" | "try_refresh_token" | "anti_csrf_failed" | "container_forbidden" | "capability_missing" | "path_forbidden" | "not_found" | "method_not_allowed" | "conflict" | "update_in_progress" | "precondition_failed" | "payload_too_large" | "unsupported_media_type" | "too_many_streams" | "headers_too_large" | "validation_failed" | "unknown_tag" | "protected_variable" | "invalid_variable_name" | "wap_error" | "wap_unavailable" | "wap_timeout" | "database_unavailable" | "response_timeout" | "not_ready" | "internal_error";
            /** @description The request path this problem occurred on. */
            instance?: string;
            /** @description Each failing field of the request. */
            errors?: components["schemas"]["FieldError"][];
            /**
             * @description Only on 401, for SuperTokens frontends: `try refresh token` asks the client to refresh its session and retry; `unauthorised` means the session is gone.
             * @enum {string}
             */
            message?: "unauthorised" | "try refresh token";
        };
        /**
         * @description One failing field of a request.
         * @example {
         *       "field": "query.tail",
         *       "message": "20000 is greater than the maximum of 10000"
         *     }
         */
        FieldError: {
            /** @description Where the field is, e.g. `body.tag` or `query.tail`. */
            field: string;
            /** @description Why it fails. */
            message: string;
        };
        /**
         * @description The container's run state.
         * @example running
         * @enum {string}
         */
        ContainerStatus: "running" | "stopped" | "restarting";
        /**
         * @description The result of the container's health check (`none` for a stopped container).
         * @example healthy
         * @enum {string}
         */
        ContainerHealth: "healthy" | "unhealthy" | "starting" | "none";
        /**
         * @description A file's strong entity tag, quotes included, exactly as in the `ETag` header: 32 lowercase hex characters derived from the file's content.
         * @example "9f86d081884c7d659a2feaa0c55ad015"
         */
        EntityTag: string;
        /**
         * @description A container's run state after a lifecycle operation.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "status": "running",
         *       "changedAt": "2026-11-29T10:15:00Z"
         *     }
         */
        AgentState: {
            /** Format: uuid */
            containerId: string;
            status: components["schemas"]["ContainerStatus"];
            /**
             * Format: date-time
             * @description When the state changed.
             */
            changedAt: string;
        };
        /**
         * @description The released tag to move the container to.
         * @example {
         *       "tag": "1.5.0"
         *     }
         */
        UpdateVersionRequest: {
            /** @description An image tag from the container's catalogue of released versions. */
            tag: string;
        };
        /**
         * @description One recorded version update of a container. `updating` only appears in the history, for an update that has not finished yet (`finishedAt` null). `interrupted`: the process running it stopped before recording an outcome (it was still `updating` `UPDATE_STALE_SECONDS` after it began when the next update began); whether WAP applied `newTag` is unknown.
         * @example {
         *       "id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "image": "registry.armory.dev/agents/support-bot",
         *       "oldTag": "1.4.2",
         *       "newTag": "1.5.0",
         *       "status": "failed",
         *       "requestedBy": "alice",
         *       "startedAt": "2026-11-29T10:20:00Z",
         *       "finishedAt": "2026-11-29T10:20:03Z",
         *       "error": "WAP Core could not pull the image."
         *     }
         */
        VersionUpdate: {
            /**
             * Format: uuid
             * @description The update record's id.
             */
            id: string;
            /** Format: uuid */
            containerId: string;
            /** @description The image repository, without tag. */
            image: string;
            /** @description The tag the container ran before. */
            oldTag: string;
            /** @description The tag requested. */
            newTag: string;
            /** @enum {string} */
            status: "updating" | "completed" | "failed" | "interrupted";
            /** @description The SuperTokens user id of the user who requested the update. */
            requestedBy: string;
            /** Format: date-time */
            startedAt: string;
            /**
             * Format: date-time
             * @description When the update ended; null while it runs.
             */
            finishedAt: string | null;
            /** @description Why the update failed or was interrupted; null unless `status` is `failed` or `interrupted`. */
            error: string | null;
        };
        /**
         * @description A finished version update, as answered by `updateAgentVersion`.
         * @example {
         *       "id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "image": "registry.armory.dev/agents/support-bot",
         *       "oldTag": "1.4.2",
         *       "newTag": "1.5.0",
         *       "status": "completed",
         *       "requestedBy": "alice",
         *       "startedAt": "2026-11-29T10:20:00Z",
         *       "finishedAt": "2026-11-29T10:20:41Z",
         *       "error": null
         *     }
         */
        VersionUpdateOutcome: components["schemas"]["VersionUpdate"] & {
            /** @enum {unknown} */
            status?: "completed" | "failed";
            finishedAt?: string;
        };
        /**
         * @description A released tag of the container's image.
         * @example {
         *       "tag": "1.5.0",
         *       "releasedAt": "2026-11-20T09:00:00Z",
         *       "notes": "Faster tool calls.",
         *       "current": true
         *     }
         */
        AvailableVersion: {
            tag: string;
            /** Format: date-time */
            releasedAt: string;
            /** @description Release notes, if any. */
            notes: string | null;
            /** @description Whether the container runs this tag now. */
            current: boolean;
        };
        /**
         * @description The released versions of a container's image and its update history.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "image": "registry.armory.dev/agents/support-bot",
         *       "currentTag": "1.4.2",
         *       "available": [
         *         {
         *           "tag": "1.4.2",
         *           "releasedAt": "2026-10-02T09:00:00Z",
         *           "notes": null,
         *           "current": true
         *         }
         *       ],
         *       "history": []
         *     }
         */
        AgentVersions: {
            /** Format: uuid */
            containerId: string;
            /** @description The image repository, without tag. */
            image: string;
            /** @description The tag the container runs now. */
            currentTag: string;
            /** @description Released tags, newest first. */
            available: components["schemas"]["AvailableVersion"][];
            /** @description The container's version updates, newest first. */
            history: components["schemas"]["VersionUpdate"][];
        };
        /**
         * @description One entry of a directory. `size` and `modifiedAt` are null for the allowed roots listed when no `path` is given.
         * @example {
         *       "name": "agent.yaml",
         *       "path": "/app/config/agent.yaml",
         *       "type": "file",
         *       "size": 812,
         *       "modifiedAt": "2026-11-27T08:45:00Z",
         *       "writable": true
         *     }
         */
        FileEntry: {
            /** @description The entry's name inside its directory. */
            name: string;
            /** @description The entry's absolute path. */
            path: string;
            /** @enum {string} */
            type: "file" | "directory";
            /** @description Size in bytes. */
            size: number | null;
            /** Format: date-time */
            modifiedAt: string | null;
            /** @description Whether the entry is under the container's `writablePaths`. */
            writable: boolean;
        };
        /**
         * @description The entries of a directory, or the allowed roots when `path` is null.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "path": "/app/logs",
         *       "entries": []
         *     }
         */
        FileListing: {
            /** Format: uuid */
            containerId: string;
            /** @description The directory listed; null when the allowed roots are listed. */
            path: string | null;
            entries: components["schemas"]["FileEntry"][];
        };
        /**
         * @description A file's content: its text when the bytes are valid UTF-8, otherwise the bytes in base64.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "path": "/app/config/agent.yaml",
         *       "encoding": "utf-8",
         *       "content": "name: support-bot\n",
         *       "size": 18,
         *       "modifiedAt": "2026-11-27T08:45:00Z",
         *       "etag": "\"b5bb9d8014a0f9b1d61e21e796d78dcc\""
         *     }
         */
        FileContent: {
            /** Format: uuid */
            containerId: string;
            /** @description The file's absolute path. */
            path: string;
            /**
             * @description How `content` encodes the file's bytes.
             * @enum {string}
             */
            encoding: "utf-8" | "base64";
            content: string;
            /** @description The file's size in bytes. */
            size: number;
            /** Format: date-time */
            modifiedAt: string;
            etag: components["schemas"]["EntityTag"];
        };
        /**
         * @description The new content of a file.
         * @example {
         *       "content": "name: support-bot\n",
         *       "encoding": "utf-8"
         *     }
         */
        WriteFileRequest: {
            /** @description The content, as text (`utf-8`) or base64 (`base64`): at most 13981016 characters, the base64 form of 10 MiB (`MAX_FILE_BYTES` bounds the decoded bytes: 413 above). */
            content: string;
            /**
             * @description How `content` encodes the bytes to write.
             * @default utf-8
             * @enum {string}
             */
            encoding?: "utf-8" | "base64";
        };
        /**
         * @description The outcome of a write, and whether WAP hot-reloaded it.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "path": "/app/config/agent.yaml",
         *       "action": "created",
         *       "size": 18,
         *       "etag": "\"b5bb9d8014a0f9b1d61e21e796d78dcc\"",
         *       "hotReloaded": false,
         *       "reloadedFiles": [],
         *       "restartRequired": false
         *     }
         */
        FileWriteResult: {
            /** Format: uuid */
            containerId: string;
            path: string;
            /** @enum {string} */
            action: "created" | "updated";
            /** @description The file's new size in bytes. */
            size: number;
            etag: components["schemas"]["EntityTag"];
            /** @description Whether the container reloaded the change without a restart. */
            hotReloaded: boolean;
            /** @description The files the container reloaded. */
            reloadedFiles: string[];
            /** @description Whether the container must restart to see the change. */
            restartRequired: boolean;
        };
        /**
         * @description The outcome of a delete, and whether WAP hot-reloaded it.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "path": "/app/config/instructions/old.md",
         *       "action": "deleted",
         *       "hotReloaded": true,
         *       "reloadedFiles": [
         *         "/app/config/instructions/old.md"
         *       ],
         *       "restartRequired": false
         *     }
         */
        FileDeleteResult: {
            /** Format: uuid */
            containerId: string;
            path: string;
            /** @constant */
            action: "deleted";
            hotReloaded: boolean;
            reloadedFiles: string[];
            restartRequired: boolean;
        };
        /**
         * @description A page of your containers, by `containerId`.
         * @example {
         *       "containers": [],
         *       "nextCursor": null
         *     }
         */
        AgentList: {
            containers: components["schemas"]["AgentSummary"][];
            /** @description The `cursor` of the next page; null when no container follows. */
            nextCursor: string | null;
        };
        /**
         * @description One of your containers and what it may do. An operation its capabilities or file roots do not allow answers 403 (`capability_missing`, `path_forbidden`).
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000002",
         *       "projectId": "5f0c6a52-1d7e-4c11-9a40-0b6f5d3e8a01",
         *       "image": "armory/agent-runtime",
         *       "tag": "1.3.2",
         *       "status": "running",
         *       "health": "healthy",
         *       "capabilities": [
         *         "file.read",
         *         "restart"
         *       ],
         *       "supportsHotReload": false,
         *       "instructionsDir": "/app/config/instructions",
         *       "fileRoots": [
         *         {
         *           "path": "/app/config",
         *           "writable": false
         *         }
         *       ]
         *     }
         */
        AgentSummary: {
            /** Format: uuid */
            containerId: string;
            /**
             * Format: uuid
             * @description The Armory project the container belongs to.
             */
            projectId: string;
            /** @description The container's image, without its tag. */
            image: string;
            /** @description The image tag it runs (`updateAgentVersion` moves it). */
            tag: string;
            /**
             * @description The run state last known, without asking WAP Core: what the health monitor last saw, or what a restart, stop or start through the API left it in. `unknown` when the service has seen nothing of it yet (the health monitor polls every `HEALTH_POLL_SECONDS`).
             * @enum {string}
             */
            status: "running" | "stopped" | "restarting" | "unknown";
            /**
             * @description The health last known, as `status` (`starting` right after a restart or start through the API, until the health monitor reports the checked one; `none` for a stopped container); `unknown` when nothing is known yet.
             * @enum {string}
             */
            health: "healthy" | "unhealthy" | "starting" | "none" | "unknown";
            /** @description What the container was launched allowed to do: `file.read` (list and read files), `file.write` (write and delete them), `restart` (restart, stop, start), and any other it was launched with. Empty: none of the gated operations is allowed. Sorted. */
            capabilities: string[];
            /** @description Whether a change under `instructionsDir` is applied without a restart (`agent-config-reloaded`). */
            supportsHotReload: boolean;
            /** @description Where the agent's instructions live; null when it has none. */
            instructionsDir: string | null;
            /** @description Where files may be listed and read (what `listAgentFiles` without `path` lists), and whether each may be written. Empty when the container may not list files (no `file.read`, or no access parameters). */
            fileRoots: components["schemas"]["FileRoot"][];
        };
        /** @description A directory under which the container's files may be read. */
        FileRoot: {
            /** @description The root's absolute path. */
            path: string;
            /** @description Whether files under it may be written and deleted (under `writablePaths`, with `file.write`). */
            writable: boolean;
        };
        /**
         * @description A container's CPU and memory use at the last health check.
         * @example {
         *       "cpuPercent": 3.2,
         *       "memoryBytes": 268435456,
         *       "memoryLimitBytes": 1073741824
         *     }
         */
        Resources: {
            /** @description CPU use in percent of one core (may exceed 100 on several cores). */
            cpuPercent: number;
            memoryBytes: number;
            memoryLimitBytes: number;
        };
        /**
         * @description One of your containers in the health summary. `unknown` status and health, with null `checkedAt` and `resources`, mean WAP Core did not report the container.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "projectId": "5f0c6a52-1d7e-4c11-9a40-0b6f5d3e8a01",
         *       "status": "running",
         *       "health": "healthy",
         *       "checkedAt": "2026-11-29T10:15:00Z",
         *       "resources": {
         *         "cpuPercent": 3.2,
         *         "memoryBytes": 268435456,
         *         "memoryLimitBytes": 1073741824
         *       }
         *     }
         */
        ContainerHealthSummaryItem: {
            /** Format: uuid */
            containerId: string;
            /**
             * Format: uuid
             * @description The Armory project the container belongs to.
             */
            projectId: string;
            /** @enum {string} */
            status: "running" | "stopped" | "restarting" | "unknown";
            /** @enum {string} */
            health: "healthy" | "unhealthy" | "starting" | "none" | "unknown";
            /** Format: date-time */
            checkedAt: string | null;
            resources: components["schemas"]["Resources"] | null;
        };
        /**
         * @description How many of your containers are in each health.
         * @example {
         *       "healthy": 3,
         *       "unhealthy": 1,
         *       "starting": 0,
         *       "none": 2,
         *       "unknown": 0
         *     }
         */
        HealthCounts: {
            healthy: number;
            unhealthy: number;
            starting: number;
            none: number;
            /** @description Containers WAP Core did not report. */
            unknown: number;
        };
        /**
         * @description The health of every container you own.
         * @example {
         *       "containers": [],
         *       "counts": {
         *         "healthy": 0,
         *         "unhealthy": 0,
         *         "starting": 0,
         *         "none": 0,
         *         "unknown": 0
         *       },
         *       "total": 0
         *     }
         */
        AgentsHealthSummary: {
            containers: components["schemas"]["ContainerHealthSummaryItem"][];
            counts: components["schemas"]["HealthCounts"];
            /** @description The number of containers listed (the sum of `counts`). */
            total: number;
        };
        /**
         * @description A container's health as WAP Core reports it now.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "status": "running",
         *       "health": "unhealthy",
         *       "startedAt": "2026-11-29T10:17:05Z",
         *       "checkedAt": "2026-11-29T10:25:00Z",
         *       "failingStreak": 3
         *     }
         */
        AgentHealth: {
            /** Format: uuid */
            containerId: string;
            status: components["schemas"]["ContainerStatus"];
            health: components["schemas"]["ContainerHealth"];
            /**
             * Format: date-time
             * @description When the container last started; null when it is not running.
             */
            startedAt: string | null;
            /** Format: date-time */
            checkedAt: string;
            /** @description How many health checks in a row have failed. */
            failingStreak: number;
        };
        /**
         * @description One sample of a container's resource usage.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "cpuPercent": 0,
         *       "memoryBytes": 0,
         *       "memoryLimitBytes": 1073741824,
         *       "networkRxBytes": 0,
         *       "networkTxBytes": 0,
         *       "blockReadBytes": 0,
         *       "blockWriteBytes": 0,
         *       "pids": 0,
         *       "sampledAt": "2026-11-29T10:25:00Z"
         *     }
         */
        AgentStats: {
            /** Format: uuid */
            containerId: string;
            /** @description CPU use in percent of one core (may exceed 100 on several cores). */
            cpuPercent: number;
            memoryBytes: number;
            memoryLimitBytes: number;
            networkRxBytes: number;
            networkTxBytes: number;
            blockReadBytes: number;
            blockWriteBytes: number;
            /** @description Number of processes in the container. */
            pids: number;
            /** Format: date-time */
            sampledAt: string;
        };
        /**
         * @description The last log lines of a container, oldest first.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "lines": [
         *         "agent starting",
         *         "listening on :8080"
         *       ]
         *     }
         */
        AgentLogs: {
            /** Format: uuid */
            containerId: string;
            /** @description One entry per log line, without the trailing newline. */
            lines: string[];
        };
        /**
         * @description A page of a container's audit trail, newest first.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "entries": [],
         *       "nextCursor": null
         *     }
         */
        AgentAudit: {
            /** Format: uuid */
            containerId: string;
            entries: components["schemas"]["AuditEntry"][];
            /** @description The `cursor` of the next (older) page; null when there is no older entry. */
            nextCursor: string | null;
        };
        /**
         * @description What the call did: `restart`, `stop`, `start` (target `{}`), `update-version` (target `tag`), `write-file` and `delete-file` (target `path`), `patch-env` (target `names`).
         * @enum {string}
         */
        AuditAction: "restart" | "stop" | "start" | "update-version" | "write-file" | "delete-file" | "patch-env";
        /**
         * @description One state-changing call on the container.
         * @example {
         *       "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
         *       "at": "2026-11-29T10:15:00.123Z",
         *       "accountId": "alice",
         *       "action": "restart",
         *       "target": {},
         *       "outcome": "failed",
         *       "code": "wap_unavailable",
         *       "requestId": null
         *     }
         */
        AuditEntry: {
            /** Format: uuid */
            id: string;
            /**
             * Format: date-time
             * @description When the call's outcome was known (RFC 3339, UTC).
             */
            at: string;
            /** @description The SuperTokens user id of the caller. */
            accountId: string;
            action: components["schemas"]["AuditAction"];
            target: components["schemas"]["AuditTarget"];
            /** @enum {string} */
            outcome: "succeeded" | "failed";
            /** @description Null when the call succeeded; otherwise the problem `code` it answered (the `Problem` codes: `capability_missing`, `protected_variable`, `conflict`, `precondition_failed`, `wap_error`, `wap_timeout`, ...), `unknown_tag` for a version update WAP Core refused (answered as a failed update), or `interrupted` when the call ended without an answer (the client went away): WAP Core may have acted on it. */
            code: string | null;
            /** @description The id of the request that made the call, when known. */
            requestId: string | null;
        };
        /**
         * @description What the action aimed at, beyond the container: a file's `path`, a version update's `tag`, the `names` an environment patch set and unset (never their values).
         * @example {
         *       "names": {
         *         "set": [
         *           "LOG_LEVEL"
         *         ],
         *         "unset": []
         *       }
         *     }
         */
        AuditTarget: {
            path?: string;
            tag?: string;
            names?: {
                set: string[];
                unset: string[];
            };
        };
        /**
         * @description Recent live events of a container, oldest first.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "events": [],
         *       "latestSeq": 0
         *     }
         */
        AgentEvents: {
            /** Format: uuid */
            containerId: string;
            events: components["schemas"]["AgentEvent"][];
            /** @description The newest `seq` kept for the container (0 when none is kept). */
            latestSeq: number;
        };
        /** @description One live event as it was emitted: the Socket.io event name and its payload (`contracts/events.yaml` describes each). */
        AgentEvent: {
            /** @constant */
            event: "agent-file-changed";
            data: components["schemas"]["FileChangedEvent"];
        } | {
            /** @constant */
            event: "agent-config-reloaded";
            data: components["schemas"]["ConfigReloadedEvent"];
        } | {
            /** @constant */
            event: "agent-version-update";
            data: components["schemas"]["VersionUpdateEvent"];
        } | {
            /** @constant */
            event: "agent-health-update";
            data: components["schemas"]["HealthUpdateEvent"];
        };
        /** @description Per-container sequence number, from 1, one more for each event. */
        EventSeq: number;
        /**
         * Format: date-time
         * @description When the event was published (RFC 3339, UTC).
         */
        EventTime: string;
        /** @description `agent-file-changed`: a file was written or deleted through the API. */
        FileChangedEvent: {
            /** Format: uuid */
            containerId: string;
            path: string;
            /** @enum {string} */
            action: "created" | "updated" | "deleted";
            seq: components["schemas"]["EventSeq"];
            time: components["schemas"]["EventTime"];
        };
        /** @description `agent-config-reloaded`: WAP hot-reloaded these files. */
        ConfigReloadedEvent: {
            /** Format: uuid */
            containerId: string;
            files: string[];
            seq: components["schemas"]["EventSeq"];
            time: components["schemas"]["EventTime"];
        };
        /** @description `agent-version-update`: an update started (`updating`) or ended. */
        VersionUpdateEvent: {
            /** Format: uuid */
            containerId: string;
            oldTag: string;
            newTag: string;
            /** @enum {string} */
            status: "updating" | "completed" | "failed" | "interrupted";
            seq: components["schemas"]["EventSeq"];
            time: components["schemas"]["EventTime"];
        };
        /** @description `agent-health-update`: the container's run state or health changed, as the health monitor saw it, or right after a restart, stop or start through the API (then `health` is the one the new state implies, `starting` or `none`, and `resources` is null). */
        HealthUpdateEvent: {
            /** Format: uuid */
            containerId: string;
            status: components["schemas"]["ContainerStatus"];
            health: components["schemas"]["ContainerHealth"];
            resources: components["schemas"]["Resources"] | null;
            seq: components["schemas"]["EventSeq"];
            time: components["schemas"]["EventTime"];
        };
        /**
         * @description One environment variable; a masked value reads `********`.
         * @example {
         *       "name": "OPENAI_API_KEY",
         *       "value": "********",
         *       "masked": true
         *     }
         */
        EnvVariable: {
            name: string;
            value: string;
            /** @description Whether `value` was replaced by `********`. */
            masked: boolean;
        };
        /**
         * @description A container's environment variables, sorted by name.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "variables": [
         *         {
         *           "name": "LOG_LEVEL",
         *           "value": "info",
         *           "masked": false
         *         }
         *       ]
         *     }
         */
        AgentEnv: {
            /** Format: uuid */
            containerId: string;
            variables: components["schemas"]["EnvVariable"][];
        };
        /**
         * @description A JSON merge patch of the environment: each name maps to its new value, or to null to remove the variable.
         * @example {
         *       "LOG_LEVEL": "debug",
         *       "LEGACY_MODE": null
         *     }
         */
        EnvPatch: {
            [key: string]: string | null;
        };
        /**
         * @description The environment after a patch, and what changed.
         * @example {
         *       "containerId": "a11ce000-0000-4000-8000-000000000001",
         *       "variables": [],
         *       "changed": [],
         *       "restartRequired": false
         *     }
         */
        EnvPatchResult: {
            /** Format: uuid */
            containerId: string;
            /** @description The resulting environment, sorted by name and masked. */
            variables: components["schemas"]["EnvVariable"][];
            /** @description The names whose value actually changed, sorted. */
            changed: string[];
            /** @description Whether the container must restart to see the new environment. */
            restartRequired: boolean;
        };
    };
    responses: {
        /** @description A path parameter, query parameter or header does not match this document (`invalid_request`; `errors` lists each failing field), the body is not well-formed JSON (`malformed_body`), or a file path is not acceptable (`invalid_path`). */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 400;
                    /** @enum {unknown} */
                    code?: "invalid_request" | "malformed_body" | "invalid_path";
                };
            };
        };
        /** @description No usable SuperTokens session. `message` tells a SuperTokens frontend what to do: `"try refresh token"` (code `try_refresh_token`): the access token expired, or is signed with a key the service does not know; refresh the session and retry once. `"unauthorised"` (codes `unauthorised`, `anti_csrf_failed`): no, invalid or revoked token, or a cookie-authenticated state-changing request without the `rid` anti-CSRF header; the user must sign in again. */
        Unauthorised: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 401;
                    /** @enum {unknown} */
                    code?: "unauthorised" | "try_refresh_token" | "anti_csrf_failed";
                };
            };
        };
        /** @description You do not own this container, or it does not exist (`container_forbidden`, the same answer in both cases); the container lacks the capability this operation needs (`capability_missing`); or the file path is outside its access parameters (`path_forbidden`). */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 403;
                    /** @enum {unknown} */
                    code?: "container_forbidden" | "capability_missing" | "path_forbidden";
                };
            };
        };
        /** @description The file or directory does not exist inside the container. */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 404;
                    /** @constant */
                    code?: "not_found";
                };
            };
        };
        /** @description The container is not in a state that allows this (`conflict`: e.g. stopping a stopped container), or another version update is running (`update_in_progress`). */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 409;
                    /** @enum {unknown} */
                    code?: "conflict" | "update_in_progress";
                };
            };
        };
        /** @description `If-Match` does not match the file's current ETag, or the file does not exist. */
        PreconditionFailed: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 412;
                    /** @constant */
                    code?: "precondition_failed";
                };
            };
        };
        /** @description The account already holds `STREAMS_PER_ACCOUNT` open streams (followed logs and raw file reads); retry after `Retry-After` seconds or close one. */
        TooManyStreams: {
            headers: {
                /** @description Seconds to wait before trying again. */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 429;
                    /** @constant */
                    code?: "too_many_streams";
                };
            };
        };
        /** @description The request line and headers together are larger than `REQUEST_MAX_HEADER_SIZE` (16 KiB by default); nothing of the request was acted on. */
        HeadersTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 431;
                    /** @constant */
                    code?: "headers_too_large";
                };
            };
        };
        /** @description The file content is larger than `MAX_FILE_BYTES` (10 MiB by default). */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 413;
                    /** @constant */
                    code?: "payload_too_large";
                };
            };
        };
        /** @description The request body has a `Content-Type` this operation does not accept. */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 415;
                    /** @constant */
                    code?: "unsupported_media_type";
                };
            };
        };
        /** @description The request body is well-formed but cannot be applied: it breaks its schema (`validation_failed`; `errors` lists each failing field), the tag is not a released version of the container's image (`unknown_tag`), a variable is protected (`protected_variable`) or its name is not a valid variable name (`invalid_variable_name`), or the content is not valid base64 (`validation_failed`). */
        Unprocessable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 422;
                    /** @enum {unknown} */
                    code?: "validation_failed" | "unknown_tag" | "protected_variable" | "invalid_variable_name";
                };
            };
        };
        /** @description WAP Core could not be reached (`wap_unavailable`) or answered with an unexpected error (`wap_error`). */
        WapError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 502;
                    /** @enum {unknown} */
                    code?: "wap_error" | "wap_unavailable";
                };
            };
        };
        /** @description WAP Core did not answer in time (`wap_timeout`). */
        WapTimeout: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 504;
                    /** @constant */
                    code?: "wap_timeout";
                };
            };
        };
        /** @description Worth retrying after `Retry-After` seconds. `database_unavailable`: the service's database cannot be reached right now (stopped, restarting or unreachable); the service recovers by itself once it is back. Requests answer it before acting, except a version update that had already reached WAP Core: it may have been applied (its version history tells, once the database is back). `response_timeout`: the service did not answer within its `RESPONSE_TIMEOUT` (a neighbour crawling); what the request changed, if anything, is not known (read it back). */
        Unavailable: {
            headers: {
                /**
                 * @description Seconds to wait before retrying.
                 * @example 2
                 */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] & {
                    /** @constant */
                    status?: 503;
                    /** @enum {unknown} */
                    code?: "database_unavailable" | "response_timeout";
                };
            };
        };
    };
    parameters: {
        /**
         * @description The Armory id of one of your containers.
         * @example a11ce000-0000-4000-8000-000000000001
         */
        ContainerId: string;
        /**
         * @description Absolute path of the file inside the container, without its leading slash (`app/config/agent.yaml` names `/app/config/agent.yaml`), so at most 1023 characters once decoded. It may contain `/`, which clients may also send percent-encoded as `%2F`; it is URL-decoded once.
         * @example app/config/instructions/system.md
         */
        FilePath: string;
        /**
         * @description Only change the file if its current ETag is this entity tag (quotes included, as returned in `ETag` by a read or write), or, with `*`, if the file exists; otherwise, 412. One strong entity tag or `*` only: weak tags and lists answer 400.
         * @example "9f86d081884c7d659a2feaa0c55ad015"
         */
        IfMatch: string;
    };
    requestBodies: never;
    headers: {
        /**
         * @description The file's entity tag, to send back in `If-Match`.
         * @example "9f86d081884c7d659a2feaa0c55ad015"
         */
        ETag: components["schemas"]["EntityTag"];
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listAgents: {
        parameters: {
            query?: {
                /**
                 * @description The `nextCursor` of the previous page, as it was answered (an opaque string); without it, the first page.
                 * @example a11ce000000040008000000000000002
                 */
                cursor?: string;
                /** @description The most containers to answer. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of your containers, by `containerId`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    getAgentsHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The health of each of your containers. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentsHealthSummary"];
                };
            };
            401: components["responses"]["Unauthorised"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    restartAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container was restarted. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentState"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    stopAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container was stopped. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentState"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    startAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container was started. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentState"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    updateAgentVersion: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateVersionRequest"];
            };
        };
        responses: {
            /** @description The recorded outcome of the update. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionUpdateOutcome"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    listAgentVersions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container's versions. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentVersions"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    listAgentFiles: {
        parameters: {
            query?: {
                /**
                 * @description Absolute path of the directory to list. Omit it to list the allowed roots.
                 * @example /app/config
                 */
                path?: string;
            };
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The directory's entries. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FileListing"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    readAgentFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
                /**
                 * @description Absolute path of the file inside the container, without its leading slash (`app/config/agent.yaml` names `/app/config/agent.yaml`), so at most 1023 characters once decoded. It may contain `/`, which clients may also send percent-encoded as `%2F`; it is URL-decoded once.
                 * @example app/config/instructions/system.md
                 */
                path: components["parameters"]["FilePath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file's content. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FileContent"];
                    "application/octet-stream": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["TooManyStreams"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    writeAgentFile: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Only change the file if its current ETag is this entity tag (quotes included, as returned in `ETag` by a read or write), or, with `*`, if the file exists; otherwise, 412. One strong entity tag or `*` only: weak tags and lists answer 400.
                 * @example "9f86d081884c7d659a2feaa0c55ad015"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
                /**
                 * @description Absolute path of the file inside the container, without its leading slash (`app/config/agent.yaml` names `/app/config/agent.yaml`), so at most 1023 characters once decoded. It may contain `/`, which clients may also send percent-encoded as `%2F`; it is URL-decoded once.
                 * @example app/config/instructions/system.md
                 */
                path: components["parameters"]["FilePath"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WriteFileRequest"];
            };
        };
        responses: {
            /** @description The file was written. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FileWriteResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    deleteAgentFile: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Only change the file if its current ETag is this entity tag (quotes included, as returned in `ETag` by a read or write), or, with `*`, if the file exists; otherwise, 412. One strong entity tag or `*` only: weak tags and lists answer 400.
                 * @example "9f86d081884c7d659a2feaa0c55ad015"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
                /**
                 * @description Absolute path of the file inside the container, without its leading slash (`app/config/agent.yaml` names `/app/config/agent.yaml`), so at most 1023 characters once decoded. It may contain `/`, which clients may also send percent-encoded as `%2F`; it is URL-decoded once.
                 * @example app/config/instructions/system.md
                 */
                path: components["parameters"]["FilePath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file was deleted. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FileDeleteResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    getAgentHealth: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container's health. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentHealth"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    getAgentStats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container's resource usage. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentStats"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    getAgentLogs: {
        parameters: {
            query?: {
                /**
                 * @description How many of the most recent lines to return.
                 * @example 100
                 */
                tail?: number;
                /**
                 * @description Only lines logged at or after this instant (RFC 3339).
                 * @example 2026-11-29T10:00:00Z
                 */
                since?: string;
                /** @description Start each line with its RFC 3339 timestamp and a space. */
                timestamps?: boolean;
                /** @description Keep the answer open and stream new lines as server-sent events. */
                follow?: boolean;
            };
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The log lines. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentLogs"];
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyStreams"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    listAgentEvents: {
        parameters: {
            query?: {
                /**
                 * @description The last `seq` the client saw (0 for everything still kept).
                 * @example 41
                 */
                since?: number;
            };
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The events after `since`, oldest first. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentEvents"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    listAgentAudit: {
        parameters: {
            query?: {
                /** @description Only the entries of this action. */
                action?: components["schemas"]["AuditAction"];
                /**
                 * @description The `nextCursor` of the previous page, as it was answered (an opaque string); without it, the newest entries.
                 * @example AAZhZ5Db8XgaKzxNXm9Ke4ydDh8qO0xd
                 */
                cursor?: string;
                /** @description The most entries to answer. */
                limit?: number;
            };
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the trail, newest first. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentAudit"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    getAgentEnv: {
        parameters: {
            query?: {
                /** @description Return secret-looking values in clear instead of masking them. */
                reveal?: boolean;
            };
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container's environment. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentEnv"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    patchAgentEnv: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The Armory id of one of your containers.
                 * @example a11ce000-0000-4000-8000-000000000001
                 */
                containerId: components["parameters"]["ContainerId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/merge-patch+json": components["schemas"]["EnvPatch"];
                "application/json": components["schemas"]["EnvPatch"];
            };
        };
        responses: {
            /** @description The environment after the patch. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnvPatchResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorised"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            431: components["responses"]["HeadersTooLarge"];
            502: components["responses"]["WapError"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["WapTimeout"];
        };
    };
    getLiveness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process serves requests. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": components["schemas"]["Liveness"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every part answered. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "checks": {
                     *         "database": "ok",
                     *         "wap": "ok",
                     *         "redis": "not configured"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description At least one part failed or did not answer in time (`not_ready`): `detail` names it, `checks` gives each part's result. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"] & {
                        /** @constant */
                        status?: 503;
                        /** @constant */
                        code?: "not_ready";
                        checks: components["schemas"]["ReadinessChecks"];
                    };
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The metrics. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP armory_http_requests_total Answers, by operation and status.
                     *     # TYPE armory_http_requests_total counter
                     *     armory_http_requests_total{operation="getAgentHealth",status="200"} 42.0
                     */
                    "text/plain": string;
                };
            };
            /** @description `METRICS_TOKEN` is set and the request does not carry it as a bearer token (`unauthorised`, with `WWW-Authenticate: Bearer`). */
            401: {
                headers: {
                    /** @description `Bearer realm="metrics"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"] & {
                        /** @constant */
                        status?: 401;
                        /** @constant */
                        code?: "unauthorised";
                    };
                };
            };
            /** @description Metrics are turned off on this instance (`METRICS_ENABLED=false`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"] & {
                        /** @constant */
                        status?: 404;
                        /** @constant */
                        code?: "not_found";
                    };
                };
            };
        };
    };
}
