"""The HTTP layer of the data service: parameters, tokens and status codes; the answers are in queries.py.
(No `from __future__ import annotations` here: FastAPI reads the dependencies from the live annotations.)

Refusals say as little as they can: 401 for a missing or unknown token, 403 for another unit's path
whether that unit exists or not, 404 for a body, officer or matter that does not exist or is outside
the token's scope (the same words for both). The token is read from the Authorization header only and
is never written to a log.
"""

import datetime as dt
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from zfjd.home import Home
from zfjd.service import queries
from zfjd.service.published import NotPublished, PublishedCopy
from zfjd.service.tokens import Scope, TokenBook

DESCRIPTION = """
广东省执法监督数据主题库的只读数据服务（数据服务向下延伸）：

* **三库**：执法主体、执法人员（个人信息已脱敏）、执法事项（含设定依据）。`as_of` 取某日有效的版本，
  `since` 取某水位之后变化的版本，`taken_since` 取省级在某时刻之后接收的版本（含迟到的版本；
  二者的响应都给出下一次使用的 `next_watermark`），都不给则取当前版本。
* **各报送单位**：批次、拒收明细、监督发现、数据质量（按月）。

访问须在请求头 `Authorization: Bearer <令牌>` 中提供令牌（`zfjd token issue` 签发）；令牌只能看到自己的范围：
单位令牌看本单位，城市令牌看本市执法主体，全省令牌看全部。每个列表分页：`limit` 默认 100、最大 1000，
下一页用响应中的 `next_cursor`；`total` 只统计令牌范围内的记录。数据来自每日发布的分析副本，发布后下一个请求即读新副本。
"""

UNAUTHORIZED = "缺少或无效的访问令牌：请在 Authorization 请求头中以 Bearer 方式提供有效令牌"
FORBIDDEN = "该令牌无权访问此报送单位的数据"
NOT_FOUND = "未找到：该记录不存在，或不在本令牌的访问范围内"
NOT_PUBLISHED = "尚未发布主题库分析副本，请稍后再试"
BAD_CURSOR = "参数 cursor 无效：请使用上一页响应中的 next_cursor"
STALE_CURSOR = "数据已更新（发布了新的分析副本），该 cursor 已失效：请从第一页重新读取"
BOTH_TIMES = "参数 as_of、since 与 taken_since 只能使用其中一个"
EXPECTED = {
    "limit": f"应为 1 到 {queries.MAX_LIMIT} 之间的整数",
    "as_of": "应为 YYYY-MM-DD 格式的日期",
    "since": "应为上次响应给出的 next_watermark（YYYY-MM-DD 格式的日期）",
    "taken_since": "应为上次响应给出的 next_watermark（ISO 8601 时间，如 2025-03-05T01:02:03.456789）",
    "cursor": "应为上一页响应中的 next_cursor",
}
REFERENCE_NAMES = {"entities": "执法主体", "officers": "执法人员", "matters": "执法事项"}
CODE_NAMES = {"entities": "执法主体代码（统一社会信用代码）", "officers": "执法证号", "matters": "事项编码"}
UNIT_NAMES = {
    "batches": "报送批次",
    "rejections": "拒收明细",
    "findings": "监督发现",
    "data-quality": "数据质量（按月）",
}

Limit = Annotated[
    int,
    Query(ge=1, le=queries.MAX_LIMIT, description=f"每页条数，默认 {queries.DEFAULT_LIMIT}，最大 {queries.MAX_LIMIT}"),
]
Cursor = Annotated[str | None, Query(max_length=200, description="下一页：上一页响应中的 next_cursor；第一页不填")]
AsOf = Annotated[dt.date | None, Query(description="取该日（YYYY-MM-DD）有效的版本；不填则取当前版本")]
Since = Annotated[
    dt.date | None, Query(description="水位：取该日之后变化（新增或失效）的版本；用上次响应的 next_watermark")
]
TakenSince = Annotated[
    dt.datetime | None,
    Query(description="接收水位：取省级在该时刻之后接收的版本（含更新时间较早、迟到的版本）；"
                      "用上次响应的 next_watermark，首次用 1900-01-01T00:00:00"),
]


def _refused(status: int, message: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status_code=status, detail=message, headers=headers)


def create_app(home: Home) -> FastAPI:
    """The service over one instance's published copy and token file (both read again when they change)."""
    copy = PublishedCopy(home.published)
    book = TokenBook(home)
    bearer = HTTPBearer(auto_error=False, description="zfjd token issue 签发的令牌")
    app = FastAPI(
        title="执法监督数据主题库 · 数据服务",
        description=DESCRIPTION,
        version="1",
        openapi_tags=[
            {"name": "三库", "description": "执法主体、执法人员、执法事项（SCD2 历史版本）"},
            {"name": "报送单位", "description": "各报送单位的批次、拒收、监督发现与数据质量"},
            {"name": "令牌", "description": "当前令牌的访问范围"},
        ],
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            name = str(error.get("loc", ("", ""))[-1])
            problems.append(f"参数 {name} 无效：{EXPECTED.get(name, '请检查取值')}")
        return JSONResponse(status_code=422, content={"detail": "；".join(dict.fromkeys(problems))})

    @app.exception_handler(NotPublished)
    async def _not_published(_: Request, __: NotPublished) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": NOT_PUBLISHED})

    async def scope(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Scope:
        found = book.scope_of(credentials.credentials) if credentials else None
        if found is None:
            raise _refused(401, UNAUTHORIZED)
        return found

    Token = Annotated[Scope, Depends(scope)]

    def listed(page: queries.Page) -> dict:
        body = {
            "items": page.items,
            "total": page.total,
            "limit": page.limit,
            "next_cursor": page.next_cursor,
            "published_as_of": page.published_as_of,
        }
        if page.next_watermark is not None:
            body["next_watermark"] = page.next_watermark
        return body

    def paged(make):
        try:
            return listed(make())
        except queries.BadCursor as exc:
            raise _refused(422, BAD_CURSOR) from exc
        except queries.StaleCursor as exc:
            raise _refused(409, STALE_CURSOR) from exc

    @app.get("/v1/me", tags=["令牌"], summary="当前令牌的访问范围")
    def me(token: Token) -> dict:
        """令牌所属的报送单位与范围（单位、城市或全省）。"""
        return {"unit": token.unit, "city": token.city, "province": token.province, "scope": token.label}

    def add_reference(name: str) -> None:
        title, code_name = REFERENCE_NAMES[name], CODE_NAMES[name]

        def listing(
            token: Token,
            as_of: AsOf = None,
            since: Since = None,
            taken_since: TakenSince = None,
            limit: Limit = queries.DEFAULT_LIMIT,
            cursor: Cursor = None,
        ) -> dict:
            if sum(value is not None for value in (as_of, since, taken_since)) > 1:
                raise _refused(422, BOTH_TIMES)
            database, snapshot = copy.cursor()
            with database:
                return paged(
                    lambda: queries.reference_page(
                        database, snapshot, token, name, as_of=as_of, since=since, taken_since=taken_since,
                        limit=limit, cursor_text=cursor,
                    )
                )

        async def lookup(
            token: Token, code: Annotated[str, Path(max_length=64, description=code_name)], as_of: AsOf = None
        ) -> dict:
            # The most frequent call, answered from memory (in_memory.py): no query, no hop to a worker thread.
            snapshot = copy.fresh() or await run_in_threadpool(copy.snapshot)
            items = snapshot.libraries.lookup(token, name, code, as_of)
            if not items:
                raise _refused(404, NOT_FOUND)
            return {"items": items, "published_as_of": snapshot.as_of}

        app.get(
            f"/v1/{name}",
            tags=["三库"],
            summary=f"{title}列表（某日有效 / 增量 / 当前）",
            description=f"{title}库中令牌范围内的版本，按版本编号排序分页。",
        )(listing)
        app.get(
            f"/v1/{name}/{{code}}",
            tags=["三库"],
            summary=f"按{code_name}查询一个{title}",
            description=f"该{title}在 as_of 当日（不填为当前）有效的版本；不存在或不在范围内均返回 404。",
        )(lookup)

    def add_unit_table(name: str) -> None:
        title = UNIT_NAMES[name]

        def listing(
            token: Token,
            unit: Annotated[str, Path(max_length=64, description="报送单位的统一社会信用代码")],
            limit: Limit = queries.DEFAULT_LIMIT,
            cursor: Cursor = None,
        ) -> dict:
            database, snapshot = copy.cursor()
            with database:
                if not queries.unit_in_scope(database, token, unit):
                    raise _refused(403, FORBIDDEN)
                return paged(lambda: queries.unit_page(database, snapshot, name, unit, limit=limit, cursor_text=cursor))

        app.get(
            f"/v1/units/{{unit}}/{name}",
            tags=["报送单位"],
            summary=f"报送单位的{title}",
            description=f"一个报送单位的{title}，分页；他人单位（无论是否存在）一律返回 403。",
        )(listing)

    for name in queries.REFERENCES:
        add_reference(name)
    for name in queries.UNIT_TABLES:
        add_unit_table(name)
    return app
