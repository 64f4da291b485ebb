"""wsgiscope's web side: a FastAPI app that renders traces built by :mod:`sim`.

The backend only ever talks to the engine through its public API (``sim.run``,
``Trace.steps``, ``Trace.state_at``, ``sim.ScenarioError``, ``sim.PHASES``); see
``docs/engine-api.md``.
"""
