"""Packaged copies of the analyzer's embedded defaults (found in a source checkout and in a wheel).

``workloads/<id>.yaml`` mirror ``conf/workloads/`` and ``model/deepseek_ocr.default.yaml``
mirrors ``conf/model/deepseek_ocr/arch/deepseek_ocr.default.yaml``; ``conf/`` holds the
editable originals and a test keeps the copies byte-identical.
"""
