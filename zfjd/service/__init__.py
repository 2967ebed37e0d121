"""The province's read-only data service (数据服务向下延伸): the 三库 and each 报送单位's own figures over
HTTP, from the analysts' published copy, by token. See docs/data-service.md."""

from zfjd.service.app import create_app

__all__ = ["create_app"]
