"""A config.json is validated by type, range and across fields before anything is computed: each case is one line
naming the key and what is allowed, exit 2, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.analyzer.conftest import CliResult

CASES = [
    ('{"language_config": [1, 2]}', "language_config: expected an object, got list"),
    ('{"first_k_dense_replace": "1"}', "first_k_dense_replace: must be an integer >= 0, got '1'"),
    ('{"rope_theta": Infinity}', "rope_theta: must be a finite number > 0, got 'inf'"),
    ('{"n_shared_experts": -1}', "n_shared_experts: must be an integer >= 0, got -1"),
    ('{"num_key_value_heads": 20}', "num_key_value_heads: 20 does not divide num_attention_heads (10)"),
    ('{"num_key_value_heads": 3}', "num_key_value_heads: 3 does not divide num_attention_heads (10)"),
    ('{"attention_bias": "no"}', "attention_bias: must be true or false, got 'no'"),
    ('{"hidden_act": "relu9"}', "hidden_act: 'relu9' is not modelled; allowed: silu"),
    ("{}", "none of the language model's keys (hidden_size, num_hidden_layers, ...) is given"),
    ('{"num_hidden_layers": 100000}', "num_hidden_layers: at most 128 layers, got 100,000"),
    ('{"hidden_size": 99999999999999999999999}', "hidden_size: at most 2,147,483,647, got 1.000e+23"),
    ('{"hidden_size": 1280, "projector_config": {"n_embed": 1024}}',
     "projector.n_embed: 1024 must equal the decoder's hidden_size (1280)"),
    ('{"hidden_size": 1280, "projector_config": {"input_dim": 7}}',
     "projector.input_dim: 7 must be CLIP's width + SAM's last channels (1024 + 1024 = 2048)"),
    ("[1]", "must hold a JSON object, got list"),
]  # fmt: skip


@pytest.mark.parametrize(("config", "why"), CASES)
def test_bad_config_is_one_line(run_cli: Callable[..., CliResult], tmp_path: Path, config: str, why: str) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(config, encoding="utf-8")
    result = run_cli("--model", tmp_path / "model", "--output-dir", tmp_path / "out")
    assert result.code == 2, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("dsocr-analyzer: error: --model: ")
    assert why in result.err
    assert not (tmp_path / "out").exists()


def test_the_released_layout_still_loads(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    # the language keys at the top level and under language_config, with the projector's, as the checkpoint has
    text = {"hidden_size": 1280, "num_attention_heads": 10, "num_key_value_heads": 10, "n_routed_experts": 64}
    config = {**text, "language_config": text, "projector_config": {"input_dim": 2048, "n_embed": 1280}}
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    result = run_cli("--model", tmp_path / "model", "--max-new-tokens", "2", "--output-dir", tmp_path / "out")
    assert result.code == 0, result.err
