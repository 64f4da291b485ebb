"""The interface's words in Chinese. Captions and lessons come translated from the engine
and the gallery; these are the labels around them. English is the key; a missing entry
falls back to English, so a new label never breaks a page.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    "Gallery": "示例", "Editor": "编辑器", "API": "API",
    "Skip to content": "跳到正文",
    "Watch a request travel, one real line at a time": "看一个请求如何穿行，一次一行真实源码",
    "Pick a scenario. Step through it forward and back and see each request move from the "
    "client through the kernel's socket, the server loop, the handler, WSGI and Flask to your "
    "view, with the real source line of the real library lit at every step.":
        "选一个场景，向前、向后单步执行，看每个请求从客户端经过内核套接字、服务器循环、"
        "请求处理器、WSGI 和 Flask 到达你的视图；每一步都会高亮真实库里的真实源码行。",
    "Edit a copy": "复制并编辑",
    "First": "第一步", "Request": "请求", "Phase": "阶段", "Back": "后退", "Step": "前进",
    "Last": "最后", "Go": "跳转", "Play": "播放", "Pause": "暂停", "Speed": "速度",
    "Breakpoints": "断点", "Shortcuts": "快捷键", "Edit": "编辑",
    "Copy link to this step": "复制此步链接", "Copied": "已复制",
    "Key steps": "关键步骤", "Client": "客户端", "Kernel": "内核", "Server loop": "服务器循环",
    "Handler": "处理器", "View": "视图",
    "Source": "源码", "State after this step": "此步之后的状态",
    "Listen backlog": "监听队列", "Sockets": "套接字", "WSGI environ": "WSGI environ",
    "Context stacks": "上下文栈", "Response so far": "目前的响应",
    "Handler write state": "处理器写状态", "changed": "有变化", "empty": "空",
    "Events": "事件", "all": "全部", "Filter": "筛选",
    "Done": "已完成", "Not connected yet": "尚未连接",
    "What each client received, whole run": "各客户端收到的全部内容",
    "Server console, whole run": "服务器控制台输出（整个运行）",
    "Keyboard shortcuts": "键盘快捷键", "Close": "关闭",
    # the timeline, levels of detail, tokens, waterfall
    "Why it matters": "为什么重要", "Level of detail": "详细程度", "Every call": "每个调用",
    "of": "/", "steps": "步", "filtered": "已筛选", "skipped": "已跳过", "Tokens": "标记",
    "moves at this step": "在这一步移动",
    "is here, its thread busy elsewhere in this layer": "停在这里，线程在这一层忙别的",
    "waits here (backlog, readline, sleep)": "在这里等待（队列、readline、sleep）",
    "finished": "已完成", "never ran for this request": "这个请求没有运行它",
    "Timeline": "时间线", "virtual ms": "虚拟毫秒", "Zoom in": "放大", "Zoom out": "缩小",
    "Fit": "适应宽度", "Clients": "客户端", "Server threads": "服务器线程",
    "Key moments": "关键时刻", "Requests": "请求", "queued in the backlog": "在监听队列中排队",
    "waiting for the request to arrive": "等待请求到达", "in the app": "在应用中",
    "sending": "发送中", "total": "总计", "Why": "原因", "no answer": "没有响应",
    "Summary of the run": "运行总结", "Legend": "图例", "summary": "汇总",
    "key moment": "关键时刻", "this step": "当前步", "Collapse groups": "折叠分组",
    "Show every track": "显示全部轨道",
}


def tr(text: str, lang: str) -> str:
    """``text`` in ``lang`` (``en`` or ``zh``)."""
    return ZH.get(text, text) if lang == "zh" else text
