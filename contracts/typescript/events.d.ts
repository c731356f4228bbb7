// Generated from contracts/events.yaml by tests/js/generate-types.mjs (openapi-typescript 7.13.0).
// Do not edit: change the contract, then run `npm run generate-types` in tests/js.

export interface components {
    schemas: {
        /**
         * Format: uuid
         * @description The container the event is about (never a WAP id).
         */
        ContainerId: string;
        /** @description Per-container sequence number: 1 for the container's first event, then one more for each event about it. Use the last one seen as `since` to catch up. */
        Seq: number;
        /**
         * Format: date-time
         * @description When the event was published (RFC 3339, UTC).
         */
        Time: string;
        AbsolutePath: string;
        AgentFileChanged: {
            containerId: components["schemas"]["ContainerId"];
            path: components["schemas"]["AbsolutePath"];
            /** @enum {string} */
            action: "created" | "updated" | "deleted";
            seq: components["schemas"]["Seq"];
            time: components["schemas"]["Time"];
        };
        AgentConfigReloaded: {
            containerId: components["schemas"]["ContainerId"];
            /** @description The files WAP reloaded. */
            files: components["schemas"]["AbsolutePath"][];
            seq: components["schemas"]["Seq"];
            time: components["schemas"]["Time"];
        };
        Tag: string;
        AgentVersionUpdate: {
            containerId: components["schemas"]["ContainerId"];
            oldTag: components["schemas"]["Tag"];
            newTag: components["schemas"]["Tag"];
            /** @enum {string} */
            status: "updating" | "completed" | "failed" | "interrupted";
            seq: components["schemas"]["Seq"];
            time: components["schemas"]["Time"];
        };
        /** @description CPU and memory use at the health check that found the change. */
        Resources: {
            /** @description CPU use in percent of one core (may exceed 100 on several cores). */
            cpuPercent: number;
            memoryBytes: number;
            memoryLimitBytes: number;
        };
        AgentHealthUpdate: {
            containerId: components["schemas"]["ContainerId"];
            /**
             * @description The container's run state.
             * @enum {string}
             */
            status: "running" | "stopped" | "restarting";
            /**
             * @description The container's health check result (`none` for a stopped container). Right after a lifecycle call, the health its new state implies (`starting` after a restart or start) until the health monitor reports the checked one.
             * @enum {string}
             */
            health: "healthy" | "unhealthy" | "starting" | "none";
            /** @description CPU and memory use at the health check that found the change; null when the event follows a restart, stop or start through the API. */
            resources: components["schemas"]["Resources"] | null;
            seq: components["schemas"]["Seq"];
            time: components["schemas"]["Time"];
        };
        /** @description A SuperTokens access token (a JWT). */
        AccessToken: string;
        ConnectAuth: {
            token: components["schemas"]["AccessToken"];
        };
        /**
         * @description As in the REST API: `unauthorised` (no usable session: sign in again), `try_refresh_token` (the token expired: refresh the session and retry), `invalid_request` (an `authenticate` without a token), `database_unavailable` (the database cannot be reached: connect again in a few seconds), `internal_error` (the service could not check the session; retry later).
         * @enum {string}
         */
        ErrorCode: "unauthorised" | "try_refresh_token" | "invalid_request" | "database_unavailable" | "internal_error";
        ConnectError: {
            message: components["schemas"]["ErrorCode"];
            data: {
                code: components["schemas"]["ErrorCode"];
                /** @description For humans. */
                detail: string;
            };
        };
        Authenticate: {
            token: components["schemas"]["AccessToken"];
        };
        AuthenticateAck: {
            /** @constant */
            ok: true;
            /**
             * Format: date-time
             * @description When the server will disconnect the socket unless it re-authenticates.
             */
            expiresAt: string;
        } | {
            /** @constant */
            ok: false;
            code: components["schemas"]["ErrorCode"];
            /** @description For humans. */
            message: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}

/** `agent-file-changed`: File changed */
export type AgentFileChanged = components["schemas"]["AgentFileChanged"];
/** `agent-config-reloaded`: Configuration reloaded */
export type AgentConfigReloaded = components["schemas"]["AgentConfigReloaded"];
/** `agent-version-update`: Version update */
export type AgentVersionUpdate = components["schemas"]["AgentVersionUpdate"];
/** `agent-health-update`: Health changed */
export type AgentHealthUpdate = components["schemas"]["AgentHealthUpdate"];
/** `connect`: What the client passes as `auth` when it connects (optional with the cookie). */
export type ConnectAuth = components["schemas"]["ConnectAuth"];
/** `connect_error`: The Socket.io CONNECT_ERROR the client's `connect_error` handler receives. */
export type ConnectError = components["schemas"]["ConnectError"];
/** `authenticate`: Sent by the client, with an acknowledgement callback. */
export type Authenticate = components["schemas"]["Authenticate"];
/** `authenticate-ack`: The acknowledgement of `authenticate` (the callback's single argument). */
export type AuthenticateAck = components["schemas"]["AuthenticateAck"];

/** What the server emits to a socket: `Socket<ServerToClientEvents, ClientToServerEvents>`. */
export interface ServerToClientEvents {
    /**
     * A file was created, updated or deleted through the API.
     * After each successful `PUT` (`created` or `updated`) or `DELETE` (`deleted`) of `/v1/agents/{containerId}/files/{path}`.
     * (operation sendAgentFileChanged)
     */
    "agent-file-changed": (payload: AgentFileChanged) => void;
    /**
     * WAP hot-reloaded the agent's configuration.
     * After a write or delete under the container's instructions directory that WAP reports as hot-reloaded (containers that support hot reload); follows the `agent-file-changed` of the same change.
     * (operation sendAgentConfigReloaded)
     */
    "agent-config-reloaded": (payload: AgentConfigReloaded) => void;
    /**
     * A version update started or ended.
     * `updating` when `POST /v1/agents/{containerId}/update-version` starts the update, then `completed` or `failed` when it ends.
     * (operation sendAgentVersionUpdate)
     */
    "agent-version-update": (payload: AgentVersionUpdate) => void;
    /**
     * A container's run state or health changed.
     * Right after a successful `POST /v1/agents/{containerId}/restart`, `/stop` or `/start`: the `status` WAP Core answered, the health it implies (`none` once stopped, `starting` after a restart or start) and `resources` null. And from the health monitor, which polls WAP every `HEALTH_POLL_SECONDS` (one poller per deployment): sent when a container's `status` or `health` differs from what was last known (the last poll's, or what a lifecycle call implied), and once when a container is first seen; not on every poll, and not when only `resources` changed.
     * (operation sendAgentHealthUpdate)
     */
    "agent-health-update": (payload: AgentHealthUpdate) => void;
}

/** What a socket may emit to the server. */
export interface ClientToServerEvents {
    /**
     * The client re-authenticates with a fresh access token.
     * (operation receiveAuthenticate)
     */
    "authenticate": (payload: Authenticate, ack: (answer: AuthenticateAck) => void) => void;
}
