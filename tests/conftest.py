import pytest
from pathlib import Path
from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope="session")
def index_dir(tmp_path_factory):
    from qa.build import build_index
    d = tmp_path_factory.mktemp("index")
    build_index(Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=d), progress=False)
    return d

@pytest.fixture(scope="session")
def retriever(index_dir):
    from qa.retrieve import Retriever
    return Retriever.load(index_dir)
