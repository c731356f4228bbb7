"""``contracts/events.yaml`` (AsyncAPI 3) as one readable HTML page, rendered on the server.

AsyncAPI has no small Python renderer, and the document is small and regular: its
description (the little Markdown it uses), servers, security schemes, operations, and each
message with its payload's fields (``$ref`` resolved, nested objects flattened to dotted
names, ``oneOf`` as alternatives) and examples. Every value is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any


def _text(source: str) -> str:
    """The small Markdown the contract uses: ``## `` headings, ``- `` lists, `code`."""

    def inline(text: str) -> str:
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))

    out = []
    for block in re.split(r"\n\s*\n", source.strip()):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith("## "):
            out.append(f"<h3>{inline(lines[0][3:])}</h3>")
            lines = lines[1:]
        if not lines:
            continue
        if lines[0].lstrip().startswith("- "):
            items: list[str] = []
            for line in lines:
                if line.lstrip().startswith("- "):
                    items.append(line.lstrip()[2:])
                else:
                    items[-1] += " " + line.strip()
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
        else:
            out.append(f"<p>{inline(' '.join(line.strip() for line in lines))}</p>")
    return "\n".join(out)


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = doc
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token]
        node = target
    return node


def _type(doc: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(doc, schema)
    if "const" in schema:
        return f"always <code>{html.escape(json.dumps(schema['const']))}</code>"
    if "oneOf" in schema:
        return " or ".join(_type(doc, alternative) for alternative in schema["oneOf"])
    kind = schema.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if kind == "array":
        return "array of " + _type(doc, schema.get("items", {}))
    facts = [kind + (f" ({schema['format']})" if "format" in schema else "")]
    if "enum" in schema:
        facts.append(
            "one of " + ", ".join(f"<code>{html.escape(str(v))}</code>" for v in schema["enum"])
        )
    if "pattern" in schema:
        facts.append(f"matching <code>{html.escape(schema['pattern'])}</code>")
    for key, word in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
    ):
        if key in schema:
            facts.append(f"{word} {schema[key]}")
    return ", ".join(facts)


def _rows(doc: dict[str, Any], schema: Any, prefix: str = "") -> Iterator[str]:
    schema = _resolve(doc, schema)
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(doc, prop)
        description = prop.get("description") or resolved.get("description") or ""
        yield (
            f"<tr><td><code>{html.escape(prefix + name)}</code></td>"
            f"<td>{_type(doc, prop)}</td><td>{'yes' if name in required else 'no'}</td>"
            f"<td>{_text(description) if description else ''}</td></tr>"
        )
        for shape in [resolved, *resolved.get("oneOf", [])]:
            if "properties" in _resolve(doc, shape):
                yield from _rows(doc, shape, f"{prefix}{name}.")


def _payload(doc: dict[str, Any], schema: Any) -> str:
    schema = _resolve(doc, schema)
    if "oneOf" in schema:
        return "<p>One of:</p>" + "".join(_payload(doc, s) for s in schema["oneOf"])
    head = "<tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>"
    return f"<table>{head}{''.join(_rows(doc, schema))}</table>"


def _messages(doc: dict[str, Any]) -> Iterator[str]:
    for key, message in doc["components"]["messages"].items():
        name, title = html.escape(message["name"]), html.escape(message.get("title", ""))
        yield f'<section id="{html.escape(key)}"><h3><code>{name}</code> — {title}</h3>'
        if "summary" in message:
            yield _text(message["summary"])
        yield _payload(doc, message["payload"])
        for example in message.get("examples", []):
            shown = html.escape(json.dumps(example["payload"], indent=2))
            yield f"<p>Example <em>{html.escape(example['name'])}</em>:</p><pre>{shown}</pre>"
        yield "</section>"


def _operations(doc: dict[str, Any]) -> Iterator[str]:
    yield "<table><tr><th>operation</th><th>direction</th><th>messages</th><th>what</th></tr>"
    for key, op in doc["operations"].items():
        direction = "server → client" if op["action"] == "send" else "client → server"
        names = []
        for ref in op["messages"] + op.get("reply", {}).get("messages", []):
            message = _resolve(doc, ref)
            target = next(k for k, m in doc["components"]["messages"].items() if m is message)
            names.append(f'<a href="#{target}"><code>{html.escape(message["name"])}</code></a>')
        what = _text(op.get("summary", "")) + _text(op.get("description", ""))
        yield (
            f"<tr><td><code>{html.escape(key)}</code></td><td>{direction}</td>"
            f"<td>{', '.join(names)}</td><td>{what}</td></tr>"
        )
    yield "</table>"


_EVENTS_STYLE = """<style>body{margin:0;font:15px/1.5 sans-serif;color:#222}
main{max-width:1000px;margin:0 auto;padding:0 20px 40px}table{border-collapse:collapse;
width:100%;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f4f4f4}td p{margin:0}pre{background:#f6f8fa;padding:8px;
overflow:auto}code{background:#f2f2f2;padding:0 3px}section{margin-top:24px}</style>"""


def render_events(doc: dict[str, Any], page: Callable[[str, str, str], str]) -> str:
    """The AsyncAPI document as one HTML page: servers, operations, messages, payloads."""
    info = doc["info"]
    servers = "".join(
        f"<li><code>{html.escape(s['protocol'])}://{html.escape(s['host'])}"
        f"{html.escape(s.get('pathname', ''))}</code> ({html.escape(name)}): "
        f"{_text(s.get('description', ''))}</li>"
        for name, s in doc.get("servers", {}).items()
    )
    schemes = "".join(
        f"<li><code>{html.escape(name)}</code>: {_text(s.get('description', ''))}</li>"
        for name, s in doc["components"].get("securitySchemes", {}).items()
    )
    body = "\n".join(
        [
            f"<main><h1>{html.escape(info['title'])}</h1>",
            f"<p>AsyncAPI {html.escape(doc['asyncapi'])}, version {html.escape(info['version'])}"
            ' — the document itself: <a href="/events.yaml">events.yaml</a>.</p>',
            _text(info.get("description", "")),
            f"<h2>Servers</h2><ul>{servers}</ul>",
            f"<h2>Authentication</h2><ul>{schemes}</ul>",
            "<h2>Operations</h2>",
            *_operations(doc),
            "<h2>Messages</h2>",
            *_messages(doc),
            "</main>",
        ]
    )
    return page(info["title"], _EVENTS_STYLE, body)
