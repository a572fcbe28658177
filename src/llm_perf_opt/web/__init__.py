"""The analyzer over HTTP: a JSON API (``/v1/...``) and a web page, served by one ASGI app
(``dsocr-analyzer serve-http``; needs the ``http`` extra). See ``docs/http.md``.

The package itself imports nothing beyond the analyzer; :mod:`llm_perf_opt.web.app` imports Litestar.
"""
