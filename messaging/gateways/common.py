"""What the gateways share: the reason a page shows, and telling a timeout from a refusal."""
import socket


def gateway_reason(reasons: dict, code: str, message: str | None) -> str:
    """The gateway's code with what it means in Chinese (its own message when we know none)."""
    meaning = reasons.get(code) or (message or "").strip()
    return f"{code}：{meaning}"[:200] if meaning else code[:200]


def is_timeout(exc: BaseException) -> bool:
    """Whether the error, or one it was raised from, is a timeout (the request may have arrived)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (TimeoutError, socket.timeout)) or "timeout" in type(seen).__name__.lower():
            return True
        if "timed out" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False
