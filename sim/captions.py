"""One plain sentence per kind of step, in English and Chinese.

Keys are the ``key`` the simulated code records; ``{name}`` fields come from the step's args.
"""

from __future__ import annotations

CAPTIONS: dict[str, tuple[str, str]] = {
    # -- startup -------------------------------------------------------------------------
    "flask_init": (
        "Flask({name!r}) is created; its __init__ registers the static route /static/<path:filename>.",
        "创建 Flask({name!r})；__init__ 注册静态文件路由 /static/<path:filename>。"),
    "add_url_rule": (
        "add_url_rule maps {rule} to the endpoint {endpoint!r} in app.url_map.",
        "add_url_rule 把 {rule} 映射到端点 {endpoint!r}（写入 app.url_map）。"),
    "flask_run": (
        "app.run() fills in host and port, defaults threaded=True (Flask's default since 1.0), "
        "and prints the banner.",
        "app.run() 确定 host 和端口，threaded 默认为 True（Flask 1.0 起的默认值），并打印启动横幅。"),
    "flask_run_passed": (
        "app.run() fills in host and port and prints the banner; threaded={threaded} is passed, "
        "and app.run keeps it (its own default, since Flask 1.0, is True).",
        "app.run() 确定 host 和端口，并打印启动横幅；传入了 threaded={threaded}，app.run 照用（它自己的"
        "默认值自 Flask 1.0 起是 True）。"),
    "run_simple": (
        "run_simple() asks make_server() for a server (threaded={threaded}).",
        "run_simple() 调用 make_server() 创建服务器（threaded={threaded}）。"),
    "make_server": (
        "make_server() picks the server class: threaded={threaded}.",
        "make_server() 选择服务器类：threaded={threaded}。"),
    "wsgi_server_init": (
        "{cls}.__init__ stores the app; the handler speaks {protocol}.",
        "{cls}.__init__ 保存应用；请求处理器使用 {protocol}。"),
    "tcp_init": ("TCPServer.__init__ creates the listening socket object.",
                 "TCPServer.__init__ 创建监听用的 socket 对象。"),
    "base_init": ("BaseServer.__init__ remembers the address and the handler class.",
                  "BaseServer.__init__ 保存地址和请求处理类。"),
    "http_server_bind": ("HTTPServer.server_bind binds {host}:{port} and records the server name.",
                         "HTTPServer.server_bind 绑定 {host}:{port} 并记录服务器名。"),
    "server_bind": ("socket.bind(({host!r}, {port})): the address is taken.",
                    "socket.bind(({host!r}, {port}))：占用该地址。"),
    "server_activate": (
        "listen({backlog}): the kernel may now queue up to {backlog}+1 finished handshakes.",
        "listen({backlog})：内核开始为尚未 accept 的连接排队（最多 {backlog}+1 个）。"),
    "log_startup": ("The server prints its banner: Running on {url}.",
                    "服务器打印横幅：Running on {url}。"),
    "wsgi_serve_forever": ("BaseWSGIServer.serve_forever enters the stdlib loop.",
                           "BaseWSGIServer.serve_forever 进入标准库的循环。"),
    "serve_forever": (
        "serve_forever: select() on the listening socket, waking every {poll} s to check for shutdown.",
        "serve_forever：对监听 socket 调用 select()，每 {poll} 秒醒来检查是否要关闭。"),
    # -- clients and the kernel ----------------------------------------------------------
    "client_connect": (
        "The client calls connect(): its kernel sends a SYN. No server code runs yet; "
        "the kernels do the handshake on their own.",
        "客户端调用 connect()：它的内核发出 SYN。服务器的代码还没运行，握手由双方内核自己完成。"),
    "syn_dropped": (
        "The backlog is full: the kernel drops the SYN; the client retries in {retry} ms.",
        "监听队列已满：内核丢弃 SYN，客户端 {retry} 毫秒后重试。"),
    "syn_dropped_last": (
        "The backlog is still full: the kernel drops the last SYN retry; the client waits {retry} ms more.",
        "监听队列仍然已满：内核丢弃最后一次重试的 SYN；客户端再等 {retry} 毫秒。"),
    "connect_timeout": ("connect() times out (ETIMEDOUT): the client never got in.",
                        "connect() 超时（ETIMEDOUT）：客户端始终没能连上。"),
    "backlog_queued": (
        "The kernel completes the handshake and queues the connection in the listen "
        "backlog ({waiting} waiting). The client is connected now, but no server code "
        "runs for it until accept() takes it.",
        "内核完成三次握手，把连接放进监听队列（{waiting} 个在等待）。客户端已经连上了，但在 accept("
        ") 取走它之前，服务器没有任何代码为它运行。"),
    "client_send": (
        "The client sends {bytes}; they wait in the server's kernel buffer until the server reads them: {text}",
        "客户端发送 {n} 字节；它们先在服务器内核的缓冲区里等着，直到服务器去读：{text}"),
    "client_send_unread": (
        "The client sends {bytes}, but the server has already closed this connection: nobody will "
        "read them, and the server's kernel answers with a reset (RST): {text}",
        "客户端发送 {n} 字节，但服务器已经关闭了这个连接：没有人会读它们，服务器的内核以重置（RST）作答：{text}"),
    "client_send_failed": ("The client's send fails: the connection was reset.",
                           "客户端发送失败：连接已被重置（RST）。"),
    "client_shutdown": ("The client half-closes its side (shutdown SHUT_WR): the server reads EOF.",
                        "客户端半关闭（shutdown SHUT_WR）：服务器将读到 EOF。"),
    "client_shutdown_failed": (
        "The client's shutdown(SHUT_WR) fails (ENOTCONN): an RST has already closed the connection.",
        "客户端的 shutdown(SHUT_WR) 失败（ENOTCONN）：连接已被 RST 关闭。"),
    "client_send_nothing": (
        "The client sends nothing: an empty send puts no byte on the wire.",
        "客户端什么也没发送：空的 send 不会往线路上放任何字节。"),
    "client_close": ("The client closes the connection without reading an answer: its kernel sends FIN.",
                     "客户端不读响应就关闭了连接：它的内核发出 FIN。"),
    "client_hang_up": (
        "The client hangs up: it closes its socket with {bytes} of the answer unread, so its "
        "kernel sends RST instead of FIN. The server finds out only at its next write.",
        "客户端挂断了：它关闭 socket 时还有 {n} 字节的响应没读，所以它的内核发出的是 RST 而不是 "
        "FIN。服务器要到下一次写的时候才会发现。"),
    "client_abort": ("The client aborts the connection (SO_LINGER 0): its kernel sends RST.",
                     "客户端中止连接（SO_LINGER 0）：它的内核发送 RST。"),
    "client_recv": ("The client receives {bytes}: {text}", "客户端收到 {n} 字节：{text}"),
    "client_eof": ("The client reads EOF: the server closed the connection.",
                   "客户端读到 EOF：服务器已关闭连接。"),
    "client_reset": ("The client's read fails: connection reset by peer.",
                     "客户端读取失败：连接被对方重置。"),
    "client_timeout": ("The client hears nothing for {ms} ms, gives up and closes.",
                       "客户端 {ms} 毫秒没有收到数据，放弃并关闭连接。"),
    # -- socketserver --------------------------------------------------------------------
    "handle_request_noblock": (
        "select() reports the listening socket readable; the loop handles one connection.",
        "select() 报告监听 socket 可读；循环处理一个连接。"),
    "get_request": (
        "accept() takes {client} (port {port}) off the backlog; {waiting} still waiting. "
        "Only now does the server's code know this connection.",
        "accept() 从监听队列取出 {client}（端口 {port}）；还有 {waiting} 个在等待。直到这时，服务器"
        "的代码才知道这个连接。"),
    "verify_request": ("verify_request accepts every connection.", "verify_request 接受所有连接。"),
    "process_request": (
        "process_request handles the connection in the main loop: nothing else is accepted until it is done.",
        "process_request 在主循环里处理这个连接：处理完之前不会 accept 其他连接。"),
    "process_request_threaded": (
        "ThreadingMixIn starts {thread} for this connection; the loop goes back to select().",
        "ThreadingMixIn 为该连接启动 {thread}；主循环回到 select()。"),
    "process_request_thread": ("{thread} starts handling the connection.",
                               "{thread} 开始处理该连接。"),
    "finish_request": ("finish_request instantiates the request handler class.",
                       "finish_request 实例化请求处理类。"),
    "handler_init": ("{cls}.__init__ runs setup(), handle(), finish().",
                     "{cls}.__init__ 依次调用 setup()、handle()、finish()。"),
    "setup": ("setup() wraps the socket: rfile (buffered reader, 8 KiB) and wfile.",
              "setup() 包装 socket：rfile（8 KiB 缓冲读取）和 wfile。"),
    "finish": ("finish() flushes and closes rfile and wfile.", "finish() 刷新并关闭 rfile 和 wfile。"),
    "shutdown_request": (
        "shutdown_request: shutdown(SHUT_WR) sends FIN to the client, which now reads end-of-file.",
        "shutdown_request：shutdown(SHUT_WR) 向客户端发送 FIN，客户端随后读到文件结束。"),
    "close_request": ("close_request closes the socket.", "close_request 关闭 socket。"),
    "close_request_rst": (
        "close_request closes the socket with {unread} unread bytes in the kernel: Linux sends RST.",
        "close_request 关闭 socket 时内核里还有 {unread} 字节未读：Linux 发送 RST。"),
    # -- http.server ---------------------------------------------------------------------
    "http_handle": ("BaseHTTPRequestHandler.handle serves requests until close_connection is set.",
                    "BaseHTTPRequestHandler.handle 循环处理请求，直到 close_connection 为真。"),
    "handle_one_request": (
        "handle_one_request waits in rfile.readline(65537) for the request line: this "
        "thread does nothing else until a whole line (or 64 KiB of one) has arrived.",
        "handle_one_request 在 rfile.readline(65537) 中等待请求行：在整行（或 64 KiB）到达之前，这"
        "个线程什么别的也做不了。"),
    "read_readline": ("readline returns {bytes}: {text}", "readline 返回 {n} 字节：{text}"),
    "read_readline_eof": (
        "readline returns b'' (0 bytes): end of file. The client closed its end without "
        "sending a request line, so there is no request to serve: the server goes on to close "
        "this connection.",
        "readline 返回 b''（0 字节）：读到文件结尾。客户端没发请求行就关闭了它那一端，没有请求可处理："
        "服务器接着关闭这个连接。"),
    "read_headers": ("The header lines are read ({bytes}).", "读完请求头（{n} 字节）。"),
    "read_drain": ("The drain loop reads and discards {bytes} the view left unread, so they are not "
                   "mistaken for the next request.",
                   "排空循环读取并丢弃视图没读的 {n} 字节，免得它们被当成下一个请求。"),
    "drain_select_timeout": (
        "select(timeout=0.01) in execute's finally waited 10 ms and nothing came. Werkzeug "
        "waits this long after every request, in case the client is still sending a body the "
        "app never read: closing with unread bytes would reset the connection, and the client "
        "could lose the answer.",
        "execute 的 finally 里 select(timeout=0.01) 等了 10 毫秒，什么也没来。Werkzeug 每个请求之后"
        "都等这么久，以防客户端还在发送应用没读的请求体：带着没读的字节关闭会重置连接，客户端可能收不到响应。"),
    "drain_select_timeout_after": (
        "select(timeout=0.01) waited 10 ms and nothing more came after the {bytes} the drain "
        "discarded: now the socket can close without resetting the connection.",
        "排空丢弃了 {n} 字节之后，select(timeout=0.01) 又等了 10 毫秒，没有新数据：现在关闭套接字不会重置连接。"),
    "read_drain_eof": (
        "The drain loop's read returns 0 bytes: end of file, the client's end is closed, so "
        "there is nothing to discard and the loop stops.",
        "排空循环的读取返回 0 字节：读到文件结尾，客户端那一端已关闭，没有要丢弃的，循环结束。"),
    "read_body": ("The view reads the request body: {bytes}.", "视图读取请求体：{n} 字节。"),
    "parse_request": (
        "parse_request splits the request line: {line}. A malformed line would be "
        "answered right here, before any WSGI code.",
        "parse_request 拆分请求行：{line}。格式不对的请求行会在这里直接得到错误响应，根本到不了 WSGI。"),
    "parse_headers": ("http.client.parse_headers reads header lines until the blank line.",
                      "http.client.parse_headers 逐行读取请求头，直到空行。"),
    "handle_expect_100": (
        "Expect: 100-continue on HTTP/1.1: http.server sends 100 Continue.",
        "HTTP/1.1 下的 Expect: 100-continue：http.server 发送 100 Continue。"),
    "send_error": ("send_error({code}): {message}. The response says Connection: close.",
                   "send_error({code})：{message}。响应带 Connection: close。"),
    "send_response": ("send_response({code}) logs the request and buffers the status line.",
                      "send_response({code}) 记录日志并缓存状态行。"),
    "end_headers": ("end_headers adds the blank line and sends the buffered headers.",
                    "end_headers 加上空行并发送缓存的响应头。"),
    # -- werkzeug.serving ----------------------------------------------------------------
    "werkzeug_handle": ("WSGIRequestHandler.handle calls the stdlib handle(), ignoring dropped connections.",
                        "WSGIRequestHandler.handle 调用标准库的 handle()，忽略断开的连接。"),
    "handle_request_noblock_raise": (
        "The error is not an Exception: _handle_request_noblock's bare except shuts the connection "
        "down and re-raises it, out of the server loop.",
        "这个错误不是 Exception：_handle_request_noblock 的裸 except 关闭连接后把它重新抛出，跳出服务器循环。"),
    "server_close": (
        "server_close(): the listening socket is closed; the kernel resets the connections still in "
        "its queue ({waiting}) and will refuse new ones.",
        "server_close()：监听 socket 被关闭；内核重置队列中仍在等待的 {waiting} 个连接，之后的新连接都会被拒绝。"),
    "process_exit": (
        "{error} leaves app.run(): the server process ends.",
        "{error} 离开 app.run()：服务器进程结束。"),
    "connect_refused": (
        "Nothing listens on the port any more: the kernel answers the SYN with RST and connect() "
        "fails (connection refused).",
        "端口上已无人监听：内核用 RST 回应 SYN，connect() 失败（连接被拒绝）。"),
    "thread_died": (
        "{error} escaped the handler: this worker thread ends (the connection was already closed); "
        "the server goes on.",
        "{error} 逃出了请求处理器：这个工作线程结束（连接已关闭）；服务器继续运行。"),
    "inner_thread_died": (
        "{error} left serve_forever: Thread-1 (inner) ends and nothing serves any more, but the child's "
        "main thread keeps watching files and the socket stays open.",
        "{error} 离开了 serve_forever：Thread-1 (inner) 结束，再也没有人处理请求；但子进程的主线程继续"
        "监视文件，socket 也仍然打开。"),
    "connection_dropped": ("The client went away ({error}); Werkzeug drops the connection quietly.",
                           "客户端已断开（{error}）；Werkzeug 静默丢弃连接。"),
    "getattr_do": ("do_{command} is looked up: __getattr__ answers every do_* with run_wsgi.",
                   "查找 do_{command}：__getattr__ 对所有 do_* 都返回 run_wsgi。"),
    "run_wsgi": (
        "run_wsgi turns the HTTP request into a WSGI call: from here on the server "
        "speaks WSGI, an environ dict in, an iterable of bytes out.",
        "run_wsgi 把 HTTP 请求转换成一次 WSGI 调用：从这里开始服务器说的是 WSGI，传入 environ 字典"
        "，返回字节的可迭代对象。"),
    "run_wsgi_continue": (
        "run_wsgi sees Expect: 100-continue and writes HTTP/1.1 100 Continue itself, before "
        "the app runs: whatever the app will answer, the client is told to send the body. "
        "Then it turns the request into a WSGI call.",
        "run_wsgi 看到 Expect: 100-continue，在应用运行之前自己写出 HTTP/1.1 100 Continue：不管应用"
        "将怎样回答，客户端都被告知可以发送请求体。然后它把请求转换成一次 WSGI 调用。"),
    "make_environ": ("make_environ builds the WSGI environ: {method} {path}.",
                     "make_environ 构造 WSGI environ：{method} {path}。"),
    "execute": ("execute() calls the {app} with environ and start_response.",
                "execute() 用 environ 和 start_response 调用 {app}。"),
    "start_response": ("start_response stores status {status} and the headers; nothing is sent yet.",
                       "start_response 保存状态 {status} 和响应头；此时还没有发送。"),
    "write_headers": ("The first write() sends the status line and headers, then {bytes} of body: "
                      "only now does the client see its answer begin.",
                      "第一次 write() 发送状态行和响应头，然后是 {n} 字节的响应体：客户端直到这时才看到响应开始。"),
    "write_body": ("write() sends {bytes} more of the body.", "write() 再发送 {n} 字节响应体。"),
    "write_body_fails": (
        "write() tries to send {bytes} more of the body, but the client's RST has arrived: the "
        "send fails with a ConnectionError, and the body stops here.",
        "write() 试图再发送 {n} 字节响应体，但客户端的 RST 已经到达：发送失败，抛出 ConnectionError，"
        "响应体到此为止。"),
    # -- Flask ---------------------------------------------------------------------------
    "flask_call": ("Flask.__call__ hands the WSGI call to wsgi_app.",
                   "Flask.__call__ 把 WSGI 调用交给 wsgi_app。"),
    "wsgi_app": ("wsgi_app: create the request context, push it, dispatch, and pop it in finally.",
                 "wsgi_app：创建请求上下文、压栈、分发，并在 finally 中出栈。"),
    "request_context": ("request_context(environ) builds a RequestContext.",
                        "request_context(environ) 创建 RequestContext。"),
    "reqctx_init": ("RequestContext wraps the environ in a Request: {method} {path}.",
                    "RequestContext 用 environ 创建 Request：{method} {path}。"),
    "reqctx_push": ("RequestContext.push: no app context is active, so one is pushed first.",
                    "RequestContext.push：当前没有应用上下文，先压入一个。"),
    "app_context": ("app_context() creates an AppContext.", "app_context() 创建 AppContext。"),
    "appctx_init": ("AppContext.__init__ prepares g and a URL adapter.",
                    "AppContext.__init__ 准备 g 和 URL 适配器。"),
    "appctx_push": ("The app context for {name!r} is pushed: current_app and g now work.",
                    "压入 {name!r} 的应用上下文：current_app 和 g 可用了。"),
    "match_request": ("match_request asks the URL map which rule matches.",
                      "match_request 询问 URL 映射哪条规则匹配。"),
    "map_match": ("MapAdapter.match looks up {method} {path}: it matches the endpoint {endpoint!r}.",
                  "MapAdapter.match 查找 {method} {path}：匹配到端点 {endpoint!r}。"),
    "no_url_adapter": ("Map.bind cannot IDNA-encode the Host {host!r}: create_url_adapter raised "
                       "BadHost, so no URL is matched and the request will get a 400.",
                       "Map.bind 无法对 Host {host!r} 做 IDNA 编码：create_url_adapter 抛出 BadHost，"
                       "因此不匹配任何 URL，请求将得到 400。"),
    "map_match_failed": ("MapAdapter.match looks up {method} {path}: no route, so a {error} error is stored for later.",
                         "MapAdapter.match 查找 {method} {path}：没有匹配的路由，记下一个 {error} 错误，稍后抛出。"),
    "full_dispatch_request": ("full_dispatch_request: before_request hooks, the view, then finalize.",
                              "full_dispatch_request：先运行 before_request 钩子，再视图，最后收尾。"),
    "preprocess_request": ("preprocess_request runs url_value_preprocessors and before_request hooks.",
                           "preprocess_request 运行 url_value_preprocessors 和 before_request 钩子。"),
    "hook_url_value_preprocessor": ("The url_value_preprocessor {name} sees the URL values.",
                                    "url_value_preprocessor {name} 处理 URL 参数。"),
    "hook_before_request": (
        "before_request hook {name} runs; it returns {returns}. Anything but None would "
        "become the response, and the view would be skipped.",
        "before_request 钩子 {name} 运行；返回 {returns}。只要不是 None，它就会成为响应，视图将被跳过。"),
    "dispatch_request": ("dispatch_request calls the view for {endpoint!r}.",
                         "dispatch_request 调用端点 {endpoint!r} 的视图。"),
    "dispatch_request_routing_error": (
        "dispatch_request finds req.routing_exception set (match_request stored a {code} "
        "{error}), so it calls raise_routing_exception instead of any view: no view runs.",
        "dispatch_request 发现 req.routing_exception 已设置（match_request 记下了 {code} {error}），"
        "于是调用 raise_routing_exception，而不是任何视图：没有视图会运行。"),
    "dispatch_request_options": (
        "dispatch_request sees an OPTIONS request for a rule with automatic options: it returns "
        "make_default_options_response() and calls no view.",
        "dispatch_request 看到这是对自动处理 OPTIONS 的规则发来的 OPTIONS 请求：它返回 "
        "make_default_options_response()，不调用任何视图。"),
    "raise_routing_exception": ("The stored routing error is raised now: {code}.",
                                "现在抛出之前记下的路由错误：{code}。"),
    "make_default_options_response": ("OPTIONS is answered automatically with the Allow header; no view runs.",
                                      "OPTIONS 自动应答（带 Allow 头）；不调用视图。"),
    "view_text": ("The view {name}({args}) returns text.", "视图 {name}({args}) 返回文本。"),
    "view_json": ("The view {name}({args}) returns JSON.", "视图 {name}({args}) 返回 JSON。"),
    "view_echo": ("The view {name}() reads the request body and returns it.",
                  "视图 {name}() 读取请求体并原样返回。"),
    "view_abort": ("The view {name}({args}) calls abort(): an HTTPException is raised.",
                   "视图 {name}({args}) 调用 abort()：抛出 HTTPException。"),
    "view_raise": ("The view {name}({args}) raises an exception.", "视图 {name}({args}) 抛出异常。"),
    "view_stream": ("The view {name}({args}) returns a generator: the body is made later, while the server sends it.",
                    "视图 {name}({args}) 返回生成器：响应体稍后在服务器发送时才生成。"),
    "generate_chunk": (
        "The server resumes the generator; after {ms} ms it yields chunk {n}: {chunk!r}. "
        "Each chunk is written as soon as it is made.",
        "服务器恢复生成器；{ms} 毫秒后它产出第 {n} 块：{chunk!r}。每一块一产生就写出去。"),
    "stream_with_context": ("stream_with_context wraps the generator so it can use the request context.",
                            "stream_with_context 包装生成器，让它能使用请求上下文。"),
    "swc_primed": ("The wrapper runs to its first yield, noting the current contexts; nothing is pushed yet.",
                   "包装生成器运行到第一个 yield，记下当前上下文；此时还没有压栈。"),
    "swc_resume": ("The server resumes the stream_with_context wrapper.",
                   "服务器恢复 stream_with_context 包装生成器。"),
    "reqctx_push_again": ("with req_ctx: the request context is pushed again (its teardown already ran once).",
                          "with req_ctx：请求上下文被再次压栈（它的 teardown 已经运行过一次）。"),
    "view_sleep": ("The view {name}({args}) starts with time.sleep: for {ms} ms this thread is busy "
                   "and serves no one else.",
                   "视图 {name}({args}) 先调用 time.sleep：这 {ms} 毫秒里这个线程被占着，不能服务别人。"),
    "generate_end": ("The server resumes the generator once more; it ends (StopIteration).",
                     "服务器再次恢复生成器，它结束了（StopIteration）。"),
    "generate_close": (
        "close() throws GeneratorExit into the unfinished generator at the yield where it waits: "
        "it stops there, so the chunks after it are never made (its finally blocks still run).",
        "close() 在未结束的生成器暂停的 yield 处抛入 GeneratorExit：它就停在那里，后面的块永远不会"
        "产生（它的 finally 块照样运行）。"),
    "static_lambda": ("The static route's view runs for {filename!r}.",
                      "静态路由的视图处理 {filename!r}。"),
    "send_static_file": ("send_static_file({filename!r}) serves from the static folder.",
                         "send_static_file({filename!r}) 从静态目录提供文件。"),
    "send_from_directory": ("send_from_directory checks the path and sends the file (or 404).",
                            "send_from_directory 检查路径并发送文件（或 404）。"),
    "handle_user_exception": ("handle_user_exception catches {error}.", "handle_user_exception 捕获 {error}。"),
    "handle_http_exception": ("handle_http_exception: {code}, error handler: {handler}.",
                              "handle_http_exception：{code}，错误处理函数：{handler}。"),
    "errorhandler": ("The error handler {name} returns a {status} response.",
                     "错误处理函数 {name} 返回 {status} 响应。"),
    "handle_exception": ("An unhandled {error}: Flask turns it into a 500 Internal Server Error.",
                         "未处理的 {error}：Flask 把它转成 500 Internal Server Error。"),
    "log_exception": ("log_exception prints the traceback: Exception on {path} [{method}].",
                      "log_exception 打印回溯：Exception on {path} [{method}]。"),
    "finalize_request": ("finalize_request turns the return value into a response and runs after_request hooks.",
                         "finalize_request 把返回值变成响应对象，并运行 after_request 钩子。"),
    "make_response": ("make_response builds a Response from {kind}.", "make_response 由{kind}构造 Response。"),
    "process_response": ("process_response runs the after_request hooks, last registered first.",
                         "process_response 运行 after_request 钩子，后注册的先运行。"),
    "hook_after_request": ("after_request hook {name} runs (sets: {headers}).",
                           "after_request 钩子 {name} 运行（设置：{headers}）。"),
    "response_call": ("The Response is called as a WSGI app: start_response({status!r}, headers).",
                      "Response 作为 WSGI 应用被调用：start_response({status!r}, headers)。"),
    "response_close": ("The server closes the response iterable (Response.close).",
                       "服务器关闭响应迭代器（Response.close）。"),
    "reqctx_pop": ("wsgi_app's finally pops the request context, before any body byte is sent.",
                   "wsgi_app 的 finally 弹出请求上下文——此时响应体一个字节都还没发送。"),
    "reqctx_pop_stream": (
        "The generator is over (ended or closed), so stream_with_context's with block ends: "
        "it pops the request context it pushed again, and teardown runs a second time, now "
        "after the body.",
        "生成器结束了（跑完或被关闭），stream_with_context 的 with 块随之结束：它弹出自己再次压入的"
        "请求上下文，teardown 第二次运行，这次是在响应体之后。"),
    "reqctx_pop_stream_11": (
        "The generator is over (ended or closed), so stream_with_context's with block ends: "
        "this last pop of the request context runs teardown, its only time, after the body.",
        "生成器结束了（跑完或被关闭），stream_with_context 的 with 块随之结束：请求上下文的这最后"
        "一次弹出运行 teardown（只运行这一次），在响应体之后。"),
    "reqctx_popped": ("The request context is gone: request is no longer available.",
                      "请求上下文已出栈：request 不再可用。"),
    "do_teardown_request": ("do_teardown_request runs the teardown_request hooks (error: {error}).",
                            "do_teardown_request 运行 teardown_request 钩子（错误：{error}）。"),
    "hook_teardown": ("teardown_request hook {name} runs with error={error}.",
                      "teardown_request 钩子 {name} 运行，error={error}。"),
    "appctx_pop": ("The app context is popped.", "弹出应用上下文。"),
    "appctx_popped": ("No app context is active any more.", "不再有活动的应用上下文。"),
    "do_teardown_appcontext": ("do_teardown_appcontext runs the teardown_appcontext hooks.",
                               "do_teardown_appcontext 运行 teardown_appcontext 钩子。"),
    "hook_teardown_appcontext": ("teardown_appcontext hook {name} runs with error={error}.",
                                 "teardown_appcontext 钩子 {name} 运行，error={error}。"),
    # -- Werkzeug 0.16 / Flask 1.1 (server.kind "werkzeug-legacy") ---------------------------
    "run_simple_inner": (
        "run_simple's inner() makes the server; with the reloader it would run in a child process.",
        "run_simple 的内部函数 inner() 创建服务器；若开启重载器，它会在子进程中运行。"),
    "make_server_016": (
        "make_server() picks {cls} (threads and processes together would be a ValueError).",
        "make_server() 选择 {cls}（同时要线程和多进程会抛出 ValueError）。"),
    "wsgi_server_init_016": (
        "{cls}.__init__ runs HTTPServer.__init__: bind and listen. The handler stays HTTP/1.0.",
        "{cls}.__init__ 调用 HTTPServer.__init__：绑定并监听。请求处理器始终是 HTTP/1.0。"),
    "handle_one_request_unlimited": (
        "Werkzeug 0.16's handle_one_request reads the request line with rfile.readline(): no length limit, so no 414.",
        "Werkzeug 0.16 的 handle_one_request 用 rfile.readline() 读请求行：没有长度上限，所以不会有 414。"),
    "send_response_016": (
        "send_response({code}) logs the request and writes the status line straight to the socket.",
        "send_response({code}) 记录日志，并把状态行直接写入 socket。"),
    "send_file_11": (
        "Flask 1.1's send_file answers {filename} with a 12-hour Cache-Control and Expires,"
        " an ETag, and make_conditional (a 304 if the client's copy is fresh).",
        "Flask 1.1 的 send_file 返回 {filename}：12 小时的 Cache-Control 和 Expires、ETag，"
        "并调用 make_conditional（客户端副本未过期时返回 304）。"),
    "reqctx_pop_nested": (
        "Flask 1.1: this request context was pushed twice (stream_with_context), so this pop only "
        "takes it off the stack: no teardown yet.",
        "Flask 1.1：这个请求上下文被推入了两次（stream_with_context），这次弹出只是把它移出栈，还不执行 teardown。"),
    "try_trigger_first": (
        "try_trigger_before_first_request_functions runs the before_first_request functions once.",
        "try_trigger_before_first_request_functions 只在第一次请求时运行 before_first_request 函数。"),
    "auto_pop": (
        "wsgi_app's finally: auto_pop pops the request context (it would keep it on an error in debug mode).",
        "wsgi_app 的 finally：auto_pop 弹出请求上下文（调试模式下出错时会保留它）。"),
    # -- the reloader (werkzeug-legacy, server.use_reloader) ------------------------------------
    "run_simple_reloader": (
        "use_reloader, and this is not the reloader's child: run_simple opens the socket itself, early "
        "(socket, SO_REUSEADDR, bind {host}:{port}, set_inheritable), puts its descriptor in "
        "os.environ[\"WERKZEUG_SERVER_FD\"] = \"{fd}\" and calls listen({backlog}): the port is "
        "taken and connections are queued before any child exists.",
        "开启了 use_reloader，而且这不是重载器的子进程：run_simple 提前自己打开 socket（socket、"
        "SO_REUSEADDR、bind {host}:{port}、set_inheritable），把描述符写进 "
        "os.environ[\"WERKZEUG_SERVER_FD\"] = \"{fd}\"，再调用 listen({backlog})：端口已被占用，"
        "在任何子进程出现之前，连接就已经可以排队了。"),
    "run_with_reloader": (
        "run_with_reloader: this process is not WERKZEUG_RUN_MAIN, so it will never serve; it only "
        "restarts a child again and again (sys.exit(reloader.restart_with_reloader())).",
        "run_with_reloader：这个进程没有 WERKZEUG_RUN_MAIN，所以它永远不会处理请求；它只负责一次次地"
        "启动子进程（sys.exit(reloader.restart_with_reloader())）。"),
    "restart_with_reloader": (
        "restart_with_reloader prints \" * Restarting with {name}\" and prepares a new Python process.",
        "restart_with_reloader 打印 \" * Restarting with {name}\"，准备启动一个新的 Python 进程。"),
    "get_args_for_reloading": (
        "_get_args_for_reloading: the same command again ({args}). subprocess.call runs it with "
        "WERKZEUG_RUN_MAIN=true and close_fds=False (fd {fd} is inherited) and blocks until that "
        "child exits; starting Python and importing Flask takes {spawn} ms here.",
        "_get_args_for_reloading：再执行一次同样的命令（{args}）。subprocess.call 带着 "
        "WERKZEUG_RUN_MAIN=true 和 close_fds=False 运行它（继承 fd {fd}），并阻塞到这个子进程退出；"
        "这里启动 Python 并导入 Flask 需要 {spawn} ms。"),
    "reloader_child_start": (
        "{process} starts: a new interpreter with WERKZEUG_RUN_MAIN=true and the listening socket "
        "inherited as fd {fd}. Your module code runs twice: once in the parent, and again here from "
        "the top. Connections already waiting in the parent's backlog: {waiting}.",
        "{process} 启动：一个新的解释器，带着 WERKZEUG_RUN_MAIN=true，并以 fd {fd} 继承了监听 "
        "socket。你的模块代码会运行两次：父进程一次，这里从头再来一次。父进程的监听队列里已有 "
        "{waiting} 个连接在等待。"),
    "flask_run_child": (
        "app.run() again, in the child: show_server_banner returns at once (WERKZEUG_RUN_MAIN), so "
        "no banner this time; threaded={threaded}.",
        "子进程里再次调用 app.run()：show_server_banner 因为 WERKZEUG_RUN_MAIN 立即返回，所以这次"
        "没有横幅；threaded={threaded}。"),
    "run_simple_in_child": (
        "run_simple in the child: is_running_from_reloader() is true, so no socket is opened here: "
        "straight to run_with_reloader.",
        "子进程中的 run_simple：is_running_from_reloader() 为真，这里不再打开 socket，直接进入 "
        "run_with_reloader。"),
    "run_with_reloader_child": (
        "run_with_reloader in the child: inner() runs in a daemon thread, {thread}, and this main "
        "thread becomes the file watcher.",
        "子进程中的 run_with_reloader：inner() 在守护线程 {thread} 里运行，主线程则变成文件监视器。"),
    "stat_reloader_run": (
        "StatReloaderLoop.run: every {interval} s the main thread stat()s the file of every loaded "
        "module; this first turn only notes their modification times. Until one changes, it only sleeps.",
        "StatReloaderLoop.run：主线程每 {interval} 秒对每个已加载模块的文件调用 stat()；第一轮只记下"
        "它们的修改时间。在有文件改变之前，它只是睡眠。"),
    "run_simple_inner_fd": (
        "inner() in its thread: WERKZEUG_SERVER_FD is \"{fd}\", so make_server(fd={fd}) will use the "
        "inherited socket, and log_startup is skipped (the parent printed it).",
        "线程中的 inner()：WERKZEUG_SERVER_FD 是 \"{fd}\"，所以 make_server(fd={fd}) 会使用继承来的 "
        "socket，并跳过 log_startup（父进程已经打印过）。"),
    "wsgi_server_init_fd": (
        "{cls}.__init__ with fd={fd}: socket.fromfd takes the inherited listening socket; "
        "HTTPServer.__init__ still makes a socket of its own, which is closed and replaced by it.",
        "{cls}.__init__ 带着 fd={fd}：socket.fromfd 取得继承来的监听 socket；HTTPServer.__init__ "
        "仍会创建自己的 socket，随后它被关闭并换成继承来的那个。"),
    "server_bind_throwaway": (
        "server_bind on that throwaway socket: port 0 ({host}:0), any free port; it never gets a client.",
        "在这个临时 socket 上调用 server_bind：端口 0（{host}:0），随便一个空闲端口；它永远不会有客户端。"),
    "server_activate_throwaway": (
        "listen() on the throwaway socket; then self.socket = real_sock: the server serves the "
        "parent's socket; connections already waiting there: {waiting}.",
        "在临时 socket 上 listen()；然后 self.socket = real_sock：服务器改用父进程的 socket，"
        "那里已有 {waiting} 个连接在等待。"),
    "get_args_for_reloading_again": (
        "subprocess.call returned 3, so restart_with_reloader goes round its loop: \" * Restarting "
        "with stat\" again, the same command again ({args}) with the same fd {fd}; meanwhile "
        "connections wait in the parent's backlog (now {waiting}).",
        "subprocess.call 返回了 3，于是 restart_with_reloader 再转一圈：再次打印 \" * Restarting with "
        "stat\"，用同样的 fd {fd} 再执行同样的命令（{args}）；在此期间有 {waiting} 个连接在父进程的监听队列里等待。"),
    "trigger_reload": (
        "A stat turn finds {file} newer than it was: trigger_reload logs it, then sys.exit(3).",
        "某一轮 stat 发现 {file} 比之前新：trigger_reload 记录日志，然后 sys.exit(3)。"),
    "log_reload": (
        "log_reload prints \" * Detected change in '{file}', reloading\".",
        "log_reload 打印 \" * Detected change in '{file}', reloading\"。"),
    "reloader_child_exit": (
        "sys.exit(3) ends {process}: its daemon threads stop wherever they are, mid-request or not, "
        "and the kernel closes the sockets it held (still open: {open}). The parent still holds the "
        "listening socket: connections queued there stay for the next child (now {waiting}).",
        "sys.exit(3) 结束了 {process}：它的守护线程不管是否正在处理请求都就地停止，内核关闭它持有的 "
        "socket（仍打开的：{open}）。父进程仍持有监听 socket：{waiting} 个连接留在队列里等下一个子进程。"),
    "exit_closes": (
        "{process} exited with this connection open: the kernel closes it (FIN), and the client reads "
        "end-of-file after whatever it had received.",
        "{process} 退出时这个连接还开着：内核关闭它（FIN），客户端在已收到的内容之后读到文件结束。"),
    "exit_closes_rst": (
        "{process} exited with this connection open and unread bytes in it: the kernel resets it (RST).",
        "{process} 退出时这个连接还开着，而且还有未读的字节：内核用 RST 重置它。"),
    "server_close_inherited": (
        "server_close() closes this child's copy of the listening socket only: the parent still holds "
        "it, so the kernel keeps queueing connections ({waiting} waiting) that nobody accepts.",
        "server_close() 只关闭子进程自己那份监听 socket：父进程仍持有它，所以内核继续为连接排队"
        "（{waiting} 个在等待），却没有人 accept。"),
    # -- forking (ForkingMixIn) --------------------------------------------------------------
    "process_request_forked": (
        "ForkingMixIn forks {process} to handle this connection.",
        "ForkingMixIn 派生出 {process} 来处理这个连接。"),
    "close_request_parent": (
        "The parent closes its copy of the connection; {process} still holds it open.",
        "父进程关闭自己那份连接；{process} 仍持有它。"),
    "service_actions_fork": (
        "service_actions: the loop's turn to collect finished children.",
        "service_actions：主循环顺便回收已结束的子进程。"),
    "collect_children": (
        "collect_children reaps the children that have exited ({alive} of at most {max} alive).",
        "collect_children 回收已退出的子进程（存活 {alive} 个，最多 {max} 个）。"),
    "collect_children_full": (
        "{alive} children is max_children ({max}): waitpid blocks until one exits; nobody is accepted meanwhile.",
        "子进程数 {alive} 达到 max_children（{max}）：waitpid 阻塞到有一个退出；在此期间不接受新连接。"),
    "child_died": (
        "{error} leaves the handler; the child still shuts the connection down, then os._exit(1) ends it, silently.",
        "{error} 逃出了请求处理器；子进程仍会关闭连接，然后 os._exit(1) 悄悄结束自己。"),
    "child_reaped": (
        "waitpid reaps {process}; children still alive: {alive}.",
        "waitpid 回收 {process}；还剩 {alive} 个子进程。"),
    # -- the standard library's wsgiref ------------------------------------------------------
    "wsgiref_make_server": (
        "wsgiref's make_server({host!r}, {port}, app) builds a WSGIServer with WSGIRequestHandler.",
        "wsgiref 的 make_server({host!r}, {port}, app) 用 WSGIRequestHandler 创建 WSGIServer。"),
    "wsgiref_server_bind": (
        "WSGIServer.server_bind binds (through HTTPServer.server_bind), then builds the base environ.",
        "WSGIServer.server_bind 先经 HTTPServer.server_bind 绑定地址，再建立基础 environ。"),
    "wsgiref_server_setup_environ": (
        "setup_environ: every request's environ will start from SERVER_NAME={name!r}, SERVER_PORT='{port}', "
        "CONTENT_LENGTH=''.",
        "setup_environ：之后每个请求的 environ 都以 SERVER_NAME={name!r}、SERVER_PORT='{port}'、"
        "CONTENT_LENGTH='' 为起点。"),
    "wsgiref_process_exit": (
        "The script ends, so the process exits: the kernel closes the listening socket and resets "
        "the connections still in its queue ({reset}).",
        "脚本结束，进程退出：内核关闭监听 socket，并重置仍在队列中的连接（{reset}）。"),
    "wsgiref_set_app": ("set_app stores the application: {app}.", "set_app 保存应用：{app}。"),
    "handle_request": (
        "handle_request() waits for ONE connection (timeout: {timeout} s), serves it, and returns.",
        "handle_request() 只等待一个连接（超时：{timeout} 秒），处理完就返回。"),
    "handle_request_forever": (
        "handle_request() waits for ONE connection, with no timeout (server.timeout is None), "
        "serves it, and returns.",
        "handle_request() 只等待一个连接，没有超时（server.timeout 为 None），处理完就返回。"),
    "handle_timeout": ("Nobody connected in time: handle_timeout() does nothing, and handle_request returns.",
                       "超时内无人连接：handle_timeout() 什么也不做，handle_request 返回。"),
    "server_handle_error": (
        "The error escaped the handler: BaseServer.handle_error prints it between two rules ({error}).",
        "异常逃出了请求处理器：BaseServer.handle_error 把它打印在两条横线之间（{error}）。"),
    "wsgiref_handle": (
        "wsgiref's handle() reads ONE request line (at most 65537 bytes); there is no keep-alive loop.",
        "wsgiref 的 handle() 只读取一个请求行（最多 65537 字节）；没有 keep-alive 循环。"),
    "wsgiref_get_environ": ("get_environ builds the CGI variables for {method} {path} from the request.",
                            "get_environ 根据请求行和请求头为 {method} {path} 生成 CGI 变量。"),
    "wsgiref_handler_init": ("ServerHandler(rfile, wfile, stderr, environ) is created for this one request.",
                             "为这一个请求创建 ServerHandler(rfile, wfile, stderr, environ)。"),
    "wsgiref_run": ("BaseHandler.run calls the application: {app}(environ, start_response).",
                    "BaseHandler.run 调用应用：{app}(environ, start_response)。"),
    "wsgiref_setup_environ": (
        "setup_environ adds wsgi.input (the raw rfile: no dechunking, no wsgi.input_terminated) for {method} {path}.",
        "setup_environ 为 {method} {path} 加入 wsgi.input（原始 rfile：不解分块，没有 wsgi.input_terminated）。"),
    "wsgiref_client_gone": ("The client went away ({error}): run() gives up quietly, nothing is logged.",
                            "客户端已断开（{error}）：run() 默默放弃，不记日志。"),
    "wsgiref_start_response": ("start_response({status!r}) stores the status and headers; nothing is sent yet.",
                               "start_response({status!r}) 保存状态和响应头；此时还没有发送任何东西。"),
    "wsgiref_hop_check": ("{header!r} is an end-to-end header: start_response's assertion passes.",
                          "{header!r} 是端到端头：start_response 的断言通过。"),
    "wsgiref_hop_by_hop": ("{header!r} is a hop-by-hop header: PEP 3333 forbids apps to set it, the assertion fails.",
                           "{header!r} 是逐跳（hop-by-hop）头：PEP 3333 禁止应用设置它，断言失败。"),
    "wsgiref_finish_response": ("finish_response iterates the app's result and writes each piece.",
                                "finish_response 迭代应用返回的结果，逐块写出。"),
    "wsgiref_write_first": (
        "The first write ({bytes}) sends the status line and headers first (HTTP/1.0).",
        "第一次 write（{n} 字节）先发送状态行和响应头（HTTP/1.0）。"),
    "wsgiref_write": ("write sends {bytes} more of the body.", "write 再发送 {n} 字节响应体。"),
    "wsgiref_write_fails": (
        "write tries to send {bytes} more of the body, but the client's RST has arrived: the "
        "send fails with a ConnectionError, and the body stops here.",
        "write 试图再发送 {n} 字节响应体，但客户端的 RST 已经到达：发送失败，抛出 ConnectionError，"
        "响应体到此为止。"),
    "wsgiref_finish_content": ("finish_content: the body is done (headers already sent: {sent}).",
                               "finish_content：响应体结束（响应头已发送：{sent}）。"),
    "wsgiref_set_content_length": (
        "No Content-Length from the app, and the body is one piece: set_content_length sets "
        "Content-Length: {length}.",
        "应用没有给 Content-Length，而响应体只有一块：set_content_length 设置 Content-Length: {length}。"),
    "wsgiref_set_content_length_none": (
        "No Content-Length from the app, and the body is not one piece: set_content_length sets "
        "none, so the connection's close ends the body.",
        "应用没有给 Content-Length，响应体也不止一块：set_content_length 什么也不设置，于是由连接关闭来"
        "结束响应体。"),
    "wsgiref_send_preamble": ("send_preamble writes HTTP/1.0 {status}, then Date and Server.",
                              "send_preamble 写出 HTTP/1.0 {status}，再写 Date 和 Server。"),
    "wsgiref_server_handler_close": ("ServerHandler.close logs the request: {code}, {size} bytes of body.",
                                     "ServerHandler.close 记录请求日志：{code}，响应体 {size} 字节。"),
    "log_request": ("log_request prints the request line with {code} {size} to stderr.",
                    "log_request 把请求行和 {code} {size} 打印到 stderr。"),
    "wsgiref_close": ("BaseHandler.close closes the result iterable and resets the handler.",
                      "BaseHandler.close 关闭结果迭代器并重置处理器。"),
    "wsgiref_handle_error": ("handle_error: the {error} is logged; headers sent already: {sent}.",
                             "handle_error：记录 {error}；响应头是否已发送：{sent}。"),
    "wsgiref_log_exception": ("log_exception prints the whole traceback to stderr.",
                              "log_exception 把完整回溯打印到 stderr。"),
    "wsgiref_error_output": (
        "error_output answers 500 Internal Server Error: \"A server error occurred.\" as text/plain.",
        "error_output 返回 500 Internal Server Error：text/plain 的 \"A server error occurred.\"。"),
    "demo_app": ("demo_app prints Hello world! and the {keys} environ entries, sorted, as text/plain.",
                 "demo_app 以 text/plain 输出 Hello world! 和排好序的 {keys} 个 environ 项。"),
}


#: The signals Flask's request path sends (``flask/signals.py``), in the order a request
#: meets them. Each has its own event key, ``signal_<name>``, so a trace says which signal a
#: ``blinker.base.Signal.send`` step sends.
FLASK_SIGNALS = ("appcontext_pushed", "request_started", "got_request_exception", "request_finished",
                 "request_tearing_down", "appcontext_tearing_down", "appcontext_popped")
for _signal in FLASK_SIGNALS:
    CAPTIONS[f"signal_{_signal}"] = (
        "{caller} sends the " + _signal + " signal: blinker calls every receiver connected to it,"
        " and none is, so nothing runs.",
        "{caller} 发送 " + _signal + " 信号：blinker 会调用所有连接到它的接收者；这里一个也没有，所以什么都不运行。")

#: Key moments (``sim.MomentKind``): why the step matters, in plain words. ``{client}`` is the
#: request's connection, ``{other}`` the other party (the busy connection, the new thread).
MOMENTS: dict[str, tuple[str, str]] = {
    "queued_busy": (
        "{client} waits in the kernel's listen backlog: the server's only thread is busy with {other}, "
        "and while it is, no accept() takes another connection. This wait is the whole lesson "
        "of a server without threads.",
        "{client} 在内核的 listen 队列里等待：服务器唯一的线程正在处理 {other}，它忙着的时候，没有 "
        "accept() 会接收别的连接。没有线程的服务器，问题就出在这段等待上。"),
    "answered_before_wsgi": (
        "http.server answers with an error before any WSGI code runs: Flask and your app never "
        "see this request, so no hook or error handler of yours can change the answer.",
        "http.server 在任何 WSGI 代码运行之前就用错误作答：Flask 和你的应用根本看不到这个请求，"
        "你的钩子和错误处理函数都改变不了这个响应。"),
    "view_skipped": (
        "The before_request hook returned a value, so that value is the response: the view is "
        "skipped, but after_request and teardown still run.",
        "before_request 钩子返回了值，这个值就是响应：视图被跳过，但 after_request 和 teardown 照样运行。"),
    "view_sleeps": (
        "The view takes its time (time.sleep): its thread ({other}) can serve no one else until the view returns.",
        "视图要忙一阵子：它所在的线程（{other}）在它返回之前什么也做不了。"),
    "first_chunk": (
        "The first chunk of the stream goes out: the client sees the answer begin while the "
        "generator is still making the rest.",
        "流的第一块发出去了：生成器还在产生后面的内容，客户端已经看到响应开始了。"),
    "teardown": (
        "teardown_request runs: the request context is being popped. Anything that needs request "
        "or g after this point will fail.",
        "teardown_request 运行：请求上下文正在出栈。在这之后还要用 request 或 g 的代码都会出错。"),
    "client_gave_up": (
        "{client} gives up and closes. The server learns it only from this socket: a thread "
        "blocked reading it wakes at once with end of file (a view still reading a promised "
        "body gets ClientDisconnected, answered 400 Bad Request to no one); a thread busy "
        "elsewhere finds out at its next read or write.",
        "{client} 放弃并关闭连接。服务器只能从这个 socket 上得知：正阻塞在读它的线程立刻醒来，读到"
        "文件结束（还在读声明过的请求体的视图得到 ClientDisconnected，以 400 Bad Request 作答，"
        "却已无人接收）；在忙别的事的线程要到下一次读或写时才会发现。"),
    "thread_started": (
        "A new thread ({other}) takes {client}'s connection, and the loop is back in select() at "
        "once, free to accept the next client.",
        "一个新线程（{other}）接手 {client} 的连接，主循环立刻回到 select()，可以接受下一个客户端。"),
    "not_found": (
        "No URL rule matches {client}'s path: routing stored a 404 NotFound, and dispatch_request "
        "raises it instead of calling a view. Only an errorhandler(404) can shape this answer.",
        "没有 URL 规则匹配 {client} 的路径：路由记下了 404 NotFound，dispatch_request 抛出它，而不是调用"
        "视图。只有 errorhandler(404) 能决定这个响应的样子。"),
    "method_not_allowed": (
        "The path matches a rule, but not for this method: routing stored 405 MethodNotAllowed, "
        "not a 404, so a 404 handler never fires. The answer lists what the rule accepts in "
        "Allow: {detail}.",
        "路径匹配了某条规则，但方法不对：路由记下的是 405 MethodNotAllowed，不是 404，所以 404 处理函数"
        "不会被调用。响应在 Allow 头里列出这条规则接受的方法：{detail}。"),
    "options_automatic": (
        "OPTIONS is answered by Flask itself: the rule has automatic options, so "
        "make_default_options_response answers with Allow: {detail} and no view of yours runs.",
        "OPTIONS 由 Flask 自己回答：这条规则自动处理 OPTIONS，make_default_options_response 用 "
        "Allow: {detail} 作答，你的视图一个也不运行。"),
    "head_no_body": (
        "HEAD: the GET view ran and made its body, but only the status line and headers go out; "
        "Content-Length ({detail}) still says how long the body would have been.",
        "HEAD：GET 视图照常运行并生成了响应体，但只发出状态行和响应头；Content-Length（{detail}）"
        "仍然说明响应体本来有多长。"),
    "view_raised": (
        "The view raised {detail} and nothing caught it: handle_exception logs it and makes a "
        "500 Internal Server Error. The 500 still goes through after_request, and teardown "
        "receives the error.",
        "视图抛出了 {detail}，没有谁捕获它：handle_exception 记录日志并生成 500 Internal Server "
        "Error。这个 500 照样经过 after_request，teardown 也会收到这个错误。"),
    "continue_sent": (
        "The client asked Expect: 100-continue, and http.server answers 100 Continue while it "
        "parses, before any WSGI code runs: the app gets no chance to refuse before the body "
        "is uploaded.",
        "客户端要求 Expect: 100-continue，http.server 在解析时就回答 100 Continue，此时还没有任何 "
        "WSGI 代码运行：应用没有机会在上传请求体之前拒绝。"),
    "body_wait": (
        "The view reads the request body ({detail} bytes promised), but it has not arrived: this "
        "thread blocks in read(), with no timeout, until it does.",
        "视图读取请求体（声明了 {detail} 字节），但它还没到：这个线程阻塞在 read() 里，没有超时，"
        "直到数据到达。"),
    "body_drained": (
        "The view left {detail} bytes of body unread; the server reads and discards them, so "
        "they are not taken for the start of the next request.",
        "视图没读完请求体，剩下 {detail} 字节；服务器读出并丢弃它们，免得被当成下一个请求的开头。"),
    "leftover_body": (
        "The view never read the {detail}-byte body it was sent. The server closes the "
        "connection after this answer, so those bytes are never parsed as the next request, "
        "and nothing else sent on this socket is read.",
        "视图从未读取发给它的 {detail} 字节请求体。服务器在这个响应之后关闭连接，所以这些字节不会被"
        "当成下一个请求来解析，这个 socket 上之后发来的东西也没人读。"),
    "keep_alive_off": (
        "The answer goes out with Connection: close, as every Werkzeug answer does: keep-alive "
        "is off because http.server cannot skip a body the view left unread before it reads the "
        "next request line. So this connection ends with this answer.",
        "响应带着 Connection: close 发出，Werkzeug 的每个响应都是这样：keep-alive 是关闭的，因为 "
        "http.server 无法在读下一个请求行之前跳过视图没读的请求体。所以这个连接随这个响应结束。"),
    "chunked_upload_read": (
        "The body came with Transfer-Encoding: chunked and no Content-Length: the server "
        "de-chunks it and sets wsgi.input_terminated, so the view reads all {detail} bytes.",
        "请求体用 Transfer-Encoding: chunked 发送，没有 Content-Length：服务器解开分块并设置 "
        "wsgi.input_terminated，所以视图读到了全部 {detail} 字节。"),
    "chunked_upload_lost": (
        "The body came with Transfer-Encoding: chunked, but this server neither de-chunks it nor "
        "sets wsgi.input_terminated: with no Content-Length the view reads {detail} bytes, and "
        "request.data is empty.",
        "请求体用 Transfer-Encoding: chunked 发送，但这个服务器既不解开分块，也不设置 "
        "wsgi.input_terminated：没有 Content-Length，视图读到 {detail} 字节，request.data 为空。"),
    "chunked_response": (
        "The body's length is unknown, and this server speaks {detail}: Werkzeug sends it with "
        "Transfer-Encoding: chunked, each chunk with its size, so the client knows where it ends "
        "without waiting for the connection to close.",
        "响应体长度未知，而这个服务器说的是 {detail}：Werkzeug 用 Transfer-Encoding: chunked 发送，"
        "每块都带着大小，客户端不必等连接关闭就知道响应在哪里结束。"),
    "end_by_close": (
        "The body's length is unknown, and the answer is {detail}: no Content-Length and no "
        "chunking, so the only end of the body is the server closing the connection.",
        "响应体长度未知，而响应是 {detail}：没有 Content-Length，也不分块，所以响应体唯一的结尾就是"
        "服务器关闭连接。"),
    "hooks_reversed": (
        "after_request hooks run in reverse order of registration: {detail}, registered last, "
        "runs first, the way before_request hooks ran first-registered first.",
        "after_request 钩子按注册的相反顺序运行：最后注册的 {detail} 最先运行；before_request 钩子则是"
        "先注册的先运行。"),
    "hop_by_hop_passed": (
        "The view set a hop-by-hop header ({detail}), which PEP 3333 forbids. Werkzeug does not "
        "check: it goes out as it is, beside the server's own Connection: close.",
        "视图设置了逐跳头（{detail}），PEP 3333 禁止这样做。Werkzeug 不检查：它原样发出，和服务器自己的 "
        "Connection: close 并列。"),
    "hop_by_hop_refused": (
        "wsgiref's start_response asserts that no hop-by-hop header is set, and the view set "
        "{detail}: an AssertionError, and the client gets a 500 instead of the view's answer.",
        "wsgiref 的 start_response 断言不能设置逐跳头，而视图设置了 {detail}：于是 AssertionError，"
        "客户端得到 500，而不是视图的响应。"),
    "one_per_connection": (
        "wsgiref answers the HTTP/1.1 request as HTTP/1.0 and closes the connection after this "
        "one answer: a next request needs a new connection.",
        "wsgiref 用 HTTP/1.0 回答这个 HTTP/1.1 请求，答完这一个就关闭连接：下一个请求得重新建立连接。"),
    "process_exited": (
        "handle_request() served its one request and returned, so the script ends: the kernel "
        "resets the connections still in the listen backlog ({detail}). serve_forever() is the "
        "loop that would have served them.",
        "handle_request() 处理完它的那一个请求就返回了，脚本随之结束：内核重置仍在监听队列里的连接"
        "（{detail}）。能继续处理它们的循环是 serve_forever()。"),
    "line_not_limited": (
        "Werkzeug 0.16's handle_one_request calls readline() with no limit: the {detail}-byte "
        "request line is read whole and goes on to WSGI. http.server (and Werkzeug 3) stop at "
        "65,537 bytes and answer 414.",
        "Werkzeug 0.16 的 handle_one_request 调用 readline() 时不设上限：{detail} 字节的请求行被整行读入，"
        "继续交给 WSGI。http.server（以及 Werkzeug 3）读到 65,537 字节就停下，回答 414。"),
    "reloaded": (
        "The stat loop ({other}) sees that {detail} changed: the child exits with code 3, its "
        "threads stop wherever they are (a request under way gets no answer), and the parent, "
        "which still holds the socket, starts a new child; connections meanwhile wait in the backlog.",
        "stat 循环（{other}）发现 {detail} 改变了：子进程以退出码 3 结束，它的线程就地停止（正在处理的请求"
        "得不到回答）；仍持有 socket 的父进程启动新的子进程，在此期间的连接在监听队列里等待。"),
    "module_runs_again": (
        "The reloader's child starts and runs your module again from the top: a second Flask app, "
        "the same routes, in another process. It serves the socket the parent opened: connections "
        "that came while no child served waited there, none refused ({detail} this time).",
        "重载器的子进程启动，从头再运行一遍你的模块：另一个进程里的第二个 Flask 应用，同样的路由。"
        "它使用父进程打开的 socket：没有子进程服务期间到来的连接都在那里等待，没有一个被拒绝（这次有 {detail} 个）。"),
    "children_full": (
        "{detail} children are alive, the most the forking server allows: collect_children "
        "blocks in os.waitpid until one exits, and meanwhile the loop accepts no one; new "
        "clients wait in the backlog.",
        "已有 {detail} 个子进程在运行，达到分叉服务器的上限：collect_children 阻塞在 os.waitpid，"
        "直到有一个退出；在此期间主循环不接受任何连接，新客户端在监听队列里等待。"),
    "context_pushed_again": (
        "stream_with_context pushes the request context again for the generator, so request "
        "works inside it; this push is popped, and teardown runs again, when the body ends.",
        "stream_with_context 为生成器再次压入请求上下文，所以在生成器里还能用 request；响应体结束时它"
        "出栈，teardown 再运行一次。"),
    "connection_dropped": (
        "The client has left, so writing to it fails ({detail}). Werkzeug catches the error and "
        "drops the connection quietly: no traceback, and the thread moves on.",
        "客户端已经离开，向它写入失败（{detail}）。Werkzeug 捕获这个错误并静默丢弃连接：不打印 "
        "traceback，线程继续往下走。"),
    "answer_begins": (
        "Only now does the answer ({detail}) leave the server: http.server parsed the request, "
        "run_wsgi called the app, Flask dispatched to the view and popped its contexts; the "
        "status line and headers go out with the body's first write.",
        "直到这时响应（{detail}）才离开服务器：http.server 解析了请求，run_wsgi 调用了应用，Flask "
        "分发给视图并弹出上下文；状态行和响应头随响应体的第一次写入一起发出。"),
}
