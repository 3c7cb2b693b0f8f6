import time

# Strict policy: no inline script or style anywhere; everything comes from /static/.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.setdefault("Content-Security-Policy", POLICY)
        return response

    return middleware


def server_timing(get_response):
    """A Server-Timing header (KB_SERVER_TIMING): app, the request's time in the application;
    cpu, the CPU time of the thread that answered it; process, the CPU time of its whole
    process meanwhile (all its threads: with one request at a time per process, what the
    request cost, math and index threads included). In milliseconds."""

    def middleware(request):
        wall, own, process = time.perf_counter(), time.thread_time(), time.process_time()
        response = get_response(request)
        response["Server-Timing"] = ", ".join(
            f"{name};dur={(now - then) * 1000:.2f}"
            for name, now, then in (
                ("app", time.perf_counter(), wall),
                ("cpu", time.thread_time(), own),
                ("process", time.process_time(), process),
            )
        )
        return response

    return middleware
