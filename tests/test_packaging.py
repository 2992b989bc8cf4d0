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
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from the test environment's site-packages, appended after the
    # scratch venv's own (a plain path line: the editable install's finder is not activated),
    # so the imports below can only resolve to the installed wheel.
    import sysconfig

    Path(site, "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(wheels[0])],
                   check=True, capture_output=True)
    code = ("import routellm_core, langchain_routellm, llamaindex_routellm;"
            "from routellm_core.routers import load_router;"
            "r = load_router('default'); print(routellm_core.__file__, r.name)")
    proc = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert site in proc.stdout and str(ROOT) not in proc.stdout
