"""The built wheel installs in a scratch venv and imports routellm_core (not a bare `core`)."""

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_builds_and_imports(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(dist), str(ROOT)], check=True, capture_output=True, cwd=tmp_path)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1
    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    assert any(n.startswith("routellm_core/") for n in names)
    assert not any(n.startswith("core/") for n in names)
    assert "routellm_core/default_router/config.json" in names or not (
        ROOT / "core/default_router/config.json").exists()
    env_dir = tmp_path / "venv"
    # system site packages give numpy etc. without network; the wheel itself is installed
    # without dependencies so only its own files are tested
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(wheels[0])],
                   check=True, capture_output=True)
    code = ("import routellm_core, langchain_routellm, llamaindex_routellm, sys;"
            "print(routellm_core.__file__)")
    out = subprocess.run([str(py), "-c", code], check=True, capture_output=True, text=True,
                         cwd=tmp_path).stdout
    assert "site-packages" in out and str(ROOT) not in out
