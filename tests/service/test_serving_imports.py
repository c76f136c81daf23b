"""The serving process runs the default model without torch, transformers or sentence-transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.embedders.base import Embedder

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers")

SERVE = """
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from service.app import create_app
from service.settings import Settings

key = "k" * 24
app = create_app(Settings(data_dir=Path(sys.argv[1]), api_keys=[key], rate_limit="off"))
with TestClient(app) as client:
    added = client.post(
        "/documents",
        json={"title": "Meeting", "text": "عقد الاجتماع الخامس للمنظمات الإقليمية في جيبوتي عام ٢٠١٧.", "lang": "ar"},
        headers={"X-API-Key": key},
    )
    answer = client.post("/ask", json={"question": "Where was the fifth meeting held?"})
print(json.dumps({
    "statuses": [added.status_code, answer.status_code],
    "passages": len(answer.json()["passages"]),
    "loaded": [m for m in HEAVY if m in sys.modules],
}))
""".replace("HEAVY", repr(HEAVY))


def test_the_server_never_imports_torch(default_embedder: Embedder, models_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(models_dir, target_is_directory=True)  # the model is built already
    env = {k: v for k, v in os.environ.items() if k != "MARJA_MODEL"}
    out = subprocess.run(
        [sys.executable, "-c", SERVE, str(data)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["statuses"] == [201, 200] and result["passages"] == 1
    assert result["loaded"] == []
