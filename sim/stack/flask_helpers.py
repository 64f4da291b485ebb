"""A streamed view's body: its ``generate()`` generator and ``flask.helpers.stream_with_context``.

The server pulls the body one ``next()`` at a time, after ``wsgi_app`` has returned and
popped the request context. Every resume of a generator is a call the profiler sees, so each
is a step: one per chunk, one more that finds the end, and one for ``close()`` when the
server stops early (an unstarted generator included, as the real profile shows).

``stream_with_context`` in Flask 3.1 primes its wrapper to a sentinel inside the view (noting
the current contexts), and pushes the app and request contexts again only when the server
first resumes it, after the original ones were popped and torn down. So teardown hooks run
twice: before the body, and again when the wrapper's ``with`` block ends after the last chunk.
"""

from __future__ import annotations

from enum import Enum

from ..layers import Layer
from ..scheduler import Sleep
from ..trace import Phase

# The phases and layers of this module's steps as globals: a member looked up on its enum
# class goes through the metaclass, a cost paid at every step.
DISPATCH, RESPOND, CLOSE, TEARDOWN = (Phase.DISPATCH, Phase.RESPOND, Phase.CLOSE, Phase.TEARDOWN)
LAYER_VIEW = Layer.VIEW


#: What a body's ``resume`` returns when the iteration is over (``StopIteration``).
END = object()


def write_each(iterator, write):
    """``for data in application_iter: write(data)``, as the servers iterate a body: a
    list's iterator never waits; a simulated generator may wait inside each ``next()``
    (its ``resume``)."""
    resume = getattr(iterator, "resume", None)
    if resume is None:
        for data in iterator:
            write(data)
    else:
        while (data := (yield from resume())) is not END:
            write(data)


class GenState(Enum):
    CREATED = "created"
    SUSPENDED = "suspended"
    FINISHED = "finished"


class Generate:
    """``def generate(): for chunk in chunks: time.sleep(interval); yield chunk``."""

    def __init__(self, ctx, qualname: str, chunks: list[str], interval_ms: int, decl: str) -> None:
        self.rec = ctx.app.rec
        self.ctx = ctx
        self.qualname = qualname
        #: the view's declaration: the generator is the view's code
        self.decl = decl
        self.chunks = chunks
        self.interval_ms = interval_ms
        self.index = 0
        self.state = GenState.CREATED

    def resume(self):
        """One ``next(gen)``: a chunk (bytes), or END."""
        ctx = self.ctx
        if self.state is GenState.FINISHED:
            return END
        if self.index == len(self.chunks):
            self.state = GenState.FINISHED
            self.rec.step(ctx.actor, ctx.client, RESPOND, self.qualname, "generate_end",
                          layer=LAYER_VIEW, decl=self.decl)
            return END
        chunk = self.chunks[self.index]
        self.index += 1
        self.state = GenState.SUSPENDED
        self.rec.step(ctx.actor, ctx.client, RESPOND, self.qualname, "generate_chunk",
                      {"chunk": chunk[:40], "n": self.index, "ms": self.interval_ms},
                      layer=LAYER_VIEW, decl=self.decl)
        if self.interval_ms:
            yield Sleep(self.interval_ms)
        return chunk.encode()

    def close(self) -> None:
        if self.state is not GenState.FINISHED:
            self.state = GenState.FINISHED
            self.rec.step(self.ctx.actor, self.ctx.client, CLOSE, self.qualname,
                          "generate_close", layer=LAYER_VIEW, decl=self.decl)


WRAPPER = "flask.helpers.stream_with_context.<locals>.generator"


class StreamWithContext:
    """``stream_with_context(generate())``: the wrapper generator, primed in the view."""

    def __init__(self, ctx, inner: Generate) -> None:
        self.rec = ctx.app.rec
        self.ctx = ctx
        self.inner = inner
        self.state = GenState.CREATED
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.helpers.stream_with_context",
                      "stream_with_context", line="next(wrapped_g)")
        self.rec.step(ctx.actor, ctx.client, DISPATCH, WRAPPER, "swc_primed",
                      line="yield None  # type: ignore[misc]")

    def resume(self):
        ctx = self.ctx
        if self.state is GenState.FINISHED:
            return END
        self.rec.step(ctx.actor, ctx.client, RESPOND, WRAPPER, "swc_resume",
                      line="yield from gen")
        if self.state is GenState.CREATED:
            self.state = GenState.SUSPENDED
            ctx.app_ctx.push(ctx)
            ctx.push_again()
        data = yield from self.inner.resume()
        if data is END:
            self.exit_with_block()
        return data

    def exit_with_block(self) -> None:
        """``finally: gen.close()``, then ``with app_ctx, req_ctx`` exits: both pops."""
        self.state = GenState.FINISHED
        self.inner.close()
        self.ctx.pop(None, pop_app=False, key="reqctx_pop_stream")
        self.ctx.app_ctx.pop(self.ctx, None)

    def close(self) -> None:
        """``close()`` on the wrapper. At the sentinel, the wrapper exits and the unstarted
        ``generate`` is closed when it is dropped. Inside ``yield from``, Python closes the
        inner generator first (its call comes first), then resumes the wrapper with
        ``GeneratorExit``, whose ``with`` block pops and tears down."""
        ctx = self.ctx
        if self.state is GenState.FINISHED:
            return
        if self.state is GenState.CREATED:
            self.state = GenState.FINISHED
            # GeneratorExit comes in at the sentinel
            self.rec.step(ctx.actor, ctx.client, CLOSE, WRAPPER, "generate_close",
                          line="yield None  # type: ignore[misc]")
            self.inner.close()
            return
        self.inner.close()
        # GeneratorExit comes in at `yield from gen`: its finally closes gen (again)
        self.rec.step(ctx.actor, ctx.client, CLOSE, WRAPPER, "generate_close",
                      line="gen.close()")
        self.exit_with_block()


class StreamWithContext11(StreamWithContext):
    """Flask 1.1's ``stream_with_context``: the wrapper enters ``with ctx:`` while the view
    runs, pushing the same request context a second time (the app context is the same app's,
    so only ``None`` goes on its implicit stack). ``wsgi_app``'s ``auto_pop`` then pops that
    second push without tearing anything down; the teardown runs once, when the wrapper's
    ``with`` block ends (after the last chunk, or at ``close()``)."""

    def __init__(self, ctx, inner: Generate) -> None:
        self.rec = ctx.app.rec
        self.ctx = ctx
        self.inner = inner
        self.state = GenState.CREATED
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.helpers.stream_with_context",
                      "stream_with_context", line="next(wrapped_g)")
        # next(wrapped_g): the wrapper runs to its sentinel, entering ``with ctx:`` on the way
        self.rec.step(ctx.actor, ctx.client, DISPATCH, WRAPPER, "swc_primed", line="with ctx:")
        ctx.push_again()
        ctx.extra_pushes += 1

    def resume(self):
        ctx = self.ctx
        if self.state is GenState.FINISHED:
            return END
        self.rec.step(ctx.actor, ctx.client, RESPOND, WRAPPER, "swc_resume", line="for item in gen:")
        self.state = GenState.SUSPENDED
        data = yield from self.inner.resume()
        if data is END:
            self.exit_with_block()
        return data

    def exit_with_block(self) -> None:
        """``finally: gen.close()``, then ``with ctx:`` ends: ``__exit__`` -> ``auto_pop``,
        now the last push: teardown, and the app context pops."""
        self.state = GenState.FINISHED
        self.inner.close()
        ctx = self.ctx
        self.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.ctx.RequestContext.auto_pop",
                      "auto_pop", line="self.pop(exc)")
        ctx.pop(None, key="reqctx_pop_stream_11")

    def close(self) -> None:
        """``close()`` throws GeneratorExit into the wrapper (a plain ``for`` loop in 1.1, not
        ``yield from``): at the sentinel the ``with`` block ends at once and the unstarted
        ``generate`` is closed when dropped, after; inside the loop, ``finally: gen.close()``
        closes it first, then the ``with`` block ends."""
        ctx = self.ctx
        if self.state is GenState.FINISHED:
            return
        started = self.state is GenState.SUSPENDED
        self.state = GenState.FINISHED
        self.rec.step(ctx.actor, ctx.client, CLOSE, WRAPPER, "generate_close",
                      line="gen.close()" if started else "yield None")
        if started:
            self.inner.close()
        self.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.ctx.RequestContext.auto_pop",
                      "auto_pop", line="self.pop(exc)")
        ctx.pop(None, key="reqctx_pop_stream_11")
        if not started:
            self.inner.close()
