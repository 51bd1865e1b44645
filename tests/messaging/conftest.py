"""Fake gateways for the messaging tests: a real HTTP server on 127.0.0.1 per test (issue 19,
"Testing without the network"), which the product's own SDK clients are pointed at through
settings. Each server records every request (method, path, query, headers, body) and answers
from a per-test script: `gateway.on(action, reply, reply, …)` — replies are used in order, the
last one repeats; an action with no script gets the gateway's success answer.

The action is what the gateway dispatches on: Aliyun's x-acs-action header (SendSms,
QuerySendDetails), Tencent's X-TC-Action header (SendSms, PullSmsSendStatusByPhoneNumber),
WeChat's path (/cgi-bin/stable_token, /cgi-bin/message/template/send, …).
"""
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

# The tests' gateway timeout (SMS_GATEWAY_TIMEOUT, seconds) and how long a "hung" gateway sleeps.
TIMEOUT = 1
HANG = 1.4


@dataclass
class Reply:
    status: int = 200
    json: object = None
    raw: bytes | None = None
    sleep: float = 0.0


def reply(json_body=None, *, status: int = 200, raw: bytes | None = None, sleep: float = 0.0):
    return Reply(status=status, json=json_body, raw=raw, sleep=sleep)


def hang(json_body=None):
    """An answer that comes after the client has given up (a timeout)."""
    return Reply(json=json_body if json_body is not None else {}, sleep=HANG)


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict  # lower-cased names
    body: bytes
    action: str = ""

    @property
    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class FakeGateway:
    action_of: object  # (Seen) -> str
    success: object  # (Seen) -> Reply
    requests: list = field(default_factory=list)
    scripts: dict = field(default_factory=dict)
    content_type: str = "application/json"  # Tencent's SDK reads errors only under this one
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def on(self, action: str, *replies) -> None:
        """Replies for `action`, in order (the last repeats): a Reply, or (Seen) -> Reply."""
        self.scripts[action] = list(replies)

    def calls(self, action: str) -> list[Seen]:
        return [r for r in self.requests if r.action == action]

    def _next(self, seen: Seen) -> Reply:
        with self.lock:
            self.requests.append(seen)
            script = self.scripts.get(seen.action)
            if not script:
                return self.success(seen)
            answer = script.pop(0) if len(script) > 1 else script[0]
        return answer(seen) if callable(answer) else answer


def _serve(gateway: FakeGateway):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _handle(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            seen = Seen(method=self.command, path=parts.path,
                        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                        headers={k.lower(): v for k, v in self.headers.items()}, body=body)
            seen.action = gateway.action_of(seen)
            answer = gateway._next(seen)
            if answer.sleep:
                time.sleep(answer.sleep)
            data = answer.raw if answer.raw is not None else json.dumps(
                answer.json, ensure_ascii=False).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", gateway.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (a timeout test)
            self.close_connection = True

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    gateway.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return server


@pytest.fixture
def fake_server():
    """fake_server(action_of, success) -> a running FakeGateway, shut down at teardown."""
    servers = []

    def start(action_of, success, content_type: str = "application/json") -> FakeGateway:
        gateway = FakeGateway(action_of=action_of, success=success, content_type=content_type)
        servers.append(_serve(gateway))
        return gateway

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# --- Aliyun -----------------------------------------------------------------------------------

ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI5tTestKeyId", "aliyun-test-secret"


def aliyun_ok(seen: Seen) -> Reply:
    if seen.action == "QuerySendDetails":
        return reply({"Code": "OK", "Message": "OK", "RequestId": "r", "TotalCount": 0,
                      "SmsSendDetailDTOs": {"SmsSendDetailDTO": []}})
    return reply({"Code": "OK", "Message": "OK", "RequestId": "r",
                  "BizId": f"biz-{time.monotonic_ns()}"})


def aliyun_error(code: str, message: str = "", status: int = 200) -> Reply:
    return reply({"Code": code, "Message": message or code, "RequestId": "r"}, status=status)


def aliyun_details(*details: dict) -> Reply:
    return reply({"Code": "OK", "Message": "OK", "RequestId": "r", "TotalCount": len(details),
                  "SmsSendDetailDTOs": {"SmsSendDetailDTO": list(details)}})


@pytest.fixture
def aliyun(fake_server, settings):
    gateway = fake_server(lambda seen: seen.headers.get("x-acs-action", ""), aliyun_ok,
                          "application/json;charset=utf-8")
    settings.SMS_SENDER = "messaging.gateways.aliyun.AliyunSmsSender"
    settings.ALIYUN_SMS = {"access_key_id": ALIYUN_KEY_ID, "access_key_secret": ALIYUN_SECRET,
                           "sign_name": "影楼测试", "endpoint": gateway.address,
                           "protocol": "HTTP"}
    settings.SMS_GATEWAY_TIMEOUT = TIMEOUT
    return gateway


# --- Tencent ----------------------------------------------------------------------------------

TENCENT_ID, TENCENT_KEY, TENCENT_APP = "AKIDtestSecretId", "tencent-test-key", "1400000001"


def tencent_ok(seen: Seen) -> Reply:
    if seen.action == "PullSmsSendStatusByPhoneNumber":
        return reply({"Response": {"PullSmsSendStatusSet": [], "RequestId": "r"}})
    body = seen.json or {}
    return reply({"Response": {"SendStatusSet": [{
        "SerialNo": f"2433:{time.monotonic_ns()}", "PhoneNumber": body.get("PhoneNumberSet",
                                                                         [""])[0],
        "Fee": 1, "SessionContext": body.get("SessionContext", ""), "Code": "Ok",
        "Message": "send success", "IsoCode": "CN"}], "RequestId": "r"}})


def tencent_status(code: str, message: str = "") -> Reply:
    return reply({"Response": {"SendStatusSet": [{
        "SerialNo": "", "PhoneNumber": "+8613812345678", "Fee": 0, "SessionContext": "",
        "Code": code, "Message": message or code, "IsoCode": "CN"}], "RequestId": "r"}})


def tencent_error(code: str, message: str = "") -> Reply:
    return reply({"Response": {"Error": {"Code": code, "Message": message or code},
                               "RequestId": "r"}})


def tencent_pulled(*statuses: dict) -> Reply:
    return reply({"Response": {"PullSmsSendStatusSet": list(statuses), "RequestId": "r"}})


@pytest.fixture
def tencent(fake_server, settings):
    gateway = fake_server(lambda seen: seen.headers.get("x-tc-action", ""), tencent_ok)
    settings.SMS_SENDER = "messaging.gateways.tencent.TencentSmsSender"
    settings.TENCENT_SMS = {"secret_id": TENCENT_ID, "secret_key": TENCENT_KEY,
                            "app_id": TENCENT_APP, "sign_name": "影楼测试",
                            "region": "ap-guangzhou", "endpoint": gateway.address,
                            "protocol": "http"}
    settings.SMS_GATEWAY_TIMEOUT = TIMEOUT
    return gateway


# --- WeChat -----------------------------------------------------------------------------------

WECHAT_APP, WECHAT_SECRET, WECHAT_TOKEN = "wx0123456789abcdef", "wechat-secret", "server-token"


def wechat_ok(seen: Seen) -> Reply:
    if seen.path == "/cgi-bin/stable_token":
        return reply({"access_token": f"TOKEN-{time.monotonic_ns()}", "expires_in": 7200})
    return reply({"errcode": 0, "errmsg": "ok", "msgid": 200228332})


@pytest.fixture
def wechat(fake_server, settings):
    gateway = fake_server(lambda seen: seen.path, wechat_ok)
    settings.WECHAT = {"app_id": WECHAT_APP, "app_secret": WECHAT_SECRET, "kind": "template",
                       "api_base": f"http://{gateway.address}", "token": WECHAT_TOKEN}
    settings.WECHAT_SENDER = "messaging.gateways.wechat.WechatSender"
    settings.SMS_GATEWAY_TIMEOUT = TIMEOUT
    return gateway
