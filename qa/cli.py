"""The ``qa`` command: a thin click layer over the library.

Library errors (``QAError``) become one line on stderr and exit status 2; nothing else is caught here,
so a bug still shows its traceback to the developer who has to fix it.
"""
from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import click

from .config import Settings
from .errors import BadQuery, QAError


def _friendly(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except QAError as exc:
            from .ingest import printable  # issue 15: names and text from documents cannot drive the terminal

            click.echo(f"qa: {printable(exc)}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("qa: interrupted; the index on disk is unchanged", err=True)
            sys.exit(130)

    return wrapper


def _settings(**overrides) -> Settings:
    return Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})


def _date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    from .dates import parse_user_date

    try:
        return parse_user_date(value)
    except ValueError:
        raise BadQuery(f"{name}: {value!r} is not a date; use YYYY-MM-DD")


def _filters(committee, since, until, section, source):
    from .records import SECTIONS
    from .retrieve import Filters

    sections = tuple(section) if section else None
    for s in sections or ():
        if s not in SECTIONS:
            raise BadQuery(f"--section: {s!r}; use one of {', '.join(SECTIONS)}")
    return Filters(committee=committee, since=_date(since, "--since"), until=_date(until, "--until"),
                   section=sections, source=source)


class _IndexLocation(click.ParamType):
    """issue 20: an index folder, or the URL of an index in PostgreSQL (kept as given, not made a path)."""

    name = "folder|postgresql://url"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.startswith(("postgresql://", "postgres://")):
            return value
        return Path(value)


INDEX = _IndexLocation()


filter_options = [
    click.option("--committee", help="Only this committee (any part of its name)."),
    click.option("--since", help="Only meetings on or after this date (YYYY-MM-DD)."),
    click.option("--until", help="Only meetings on or before this date (YYYY-MM-DD)."),
    click.option("--section", multiple=True, help="Only these sections: agenda, minutes, resolution, report, appendix."),
    click.option("--source", help="Only this document (path relative to the corpus folder)."),
]


def with_filters(fn):
    for option in reversed(filter_options):
        fn = option(fn)
    return fn


@click.group()
@click.version_option(package_name="qa")
def main():
    """Cited answers from Police and Crime Panel papers."""


@main.command("index")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder (default corpus/).")
@click.option("--index", "index_dir", type=INDEX, help="Index folder (default index/), or a postgresql:// URL.")
@click.option("--rebuild", is_flag=True, help="Re-read and re-embed every file.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@_friendly
def index_cmd(corpus_dir, index_dir, rebuild, as_json):
    """Build or update the index from the corpus folder."""
    from .build import build_index

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    report = build_index(settings, rebuild=rebuild, progress=False if as_json else None)
    for s in report.skipped:
        kept = " (kept the version indexed before)" if s.source in report.kept_previous else ""
        click.echo(f"skipped {s}{kept}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        click.echo(report.summary())
    if report.skipped:
        sys.exit(1)


@main.command()
@click.argument("question", required=False)
@click.option("--file", "question_file", type=click.File("r", encoding="utf-8"), help="One question per line.")
@click.option("--index", "index_dir", type=INDEX)
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--llm/--no-llm", "llm", default=None,
              help="Written answer from the language model at QA_LLM_BASE_URL (default: when it is set).")
@with_filters
@_friendly
def ask(question, question_file, index_dir, k, as_json, llm, committee, since, until, section, source):
    """Answer a question with cited passages."""
    from .retrieve import Retriever

    if not question and not question_file:
        raise BadQuery('give a question, e.g. qa ask "what was said about 101 waiting times?", or --file FILE')
    filters = _filters(committee, since, until, section, source)
    settings = _settings(index_dir=index_dir)
    # issue 19: --llm needs a model server; --no-llm answers as if none were configured
    if llm and not settings.llm_base_url.strip():
        raise BadQuery("--llm: no language model configured; set QA_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1)"
                       " and QA_LLM_MODEL")
    if llm is False:
        settings = _settings(index_dir=index_dir, llm_base_url="")
    retriever = Retriever.load(settings=settings)
    questions = [question] if question else [line.rstrip("\n") for line in question_file]
    for q in questions:
        if question_file and not q.strip():
            click.echo(json.dumps({"question": q, "error": "empty line"}) if as_json else "")
            continue
        try:
            answer = retriever.ask(q, k=k, filters=filters)
        except BadQuery as exc:
            if not question_file:
                raise
            click.echo(json.dumps({"question": q, "error": str(exc)}))
            continue
        if as_json:
            from .display import add_display  # display fields beside the verbatim text (issue 18)

            click.echo(json.dumps(add_display(answer.to_dict(), retriever.document_text), ensure_ascii=False))
        else:
            from .ingest import printable

            click.echo(printable(render_answer(answer, retriever), keep_newlines=True))
            if answer.note:  # issue 19: why the written answer is not (all) shown
                click.echo(f"note: {answer.note}", err=True)


def render_answer(answer, retriever=None) -> str:
    from .dates import uk_date
    from .display import add_display

    shown = add_display(answer.to_dict(), retriever.document_text if retriever else (lambda s: None))
    lines = []
    if answer.abstained:
        lines.append(answer.message)
    elif answer.text:
        lines.append(shown["answer"]["display"])
    lines.append("")
    for p in answer.passages:
        c = p.citation
        item = f"item {c.item_number}: {c.item_title}" if c.item_number else (c.item_title or "no item")
        lines.append(f"[{p.rank}] {c.committee or 'committee not stated'} · {uk_date(c.meeting_date) or 'date not stated'}"
                     f" · {item} · {c.section} · {c.source}:{c.start}-{c.end}" + (f" p.{c.page}" if c.page else ""))
        title = getattr(retriever, "document_title", None)
        if title is not None:
            lines.append("    " + title(c.source))
        lines.append("    " + preview(p, answer))
        for other in p.also_in:
            lines.append(f"    also in {other.source} ({uk_date(other.meeting_date) or 'date not stated'})")
    return "\n".join(lines)


def preview(passage, answer, width: int = 400) -> str:
    """About ``width`` characters of a passage, on one line: from the first answer sentence it holds, or else
    from the chunk that matched (a passage is that chunk widened to its neighbours, so it may start earlier)."""
    c = passage.citation
    at = next((s.start for s in answer.sentences if s.passage_rank == passage.rank), None)
    if at is None and passage.matched:
        at = passage.matched[0]
    offset = min(max(0, (at if at is not None else c.start) - c.start), len(passage.text))
    from .display import inline_plain

    snippet = inline_plain(passage.text[offset:])
    return ("…" if offset else "") + snippet[:width] + ("…" if len(snippet) > width else "")


@main.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--index", "index_dir", type=INDEX)
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--compare", is_flag=True, help="Lexical, dense, RRF, fused and final side by side.")
@click.option("--slips", is_flag=True, help="Put one typing slip in a long word of each question first.")
@click.option("--json", "as_json", is_flag=True)
@_friendly
def eval_cmd(path, index_dir, k, compare, slips, as_json):
    """Recall@1/5/10 and MRR@10 over a question file (dev.jsonl format)."""
    from .evaluate import HEADER, evaluate, load_questions, table, with_slips
    from .retrieve import Retriever

    rows = load_questions(path)
    if slips:
        rows = with_slips(rows)
    retriever = Retriever.load(settings=_settings(index_dir=index_dir))
    retriever.warm_up()
    modes = ["lexical", "dense", "rrf", "fused", "final"] if compare else ["final"]
    results = [evaluate(retriever, rows, mode, k)[0] for mode in modes]
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in results]))
        return
    if not compare:
        s = results[0]
        click.echo(f"questions: {s.answerable} answerable, {s.unanswerable} unanswerable")
        if s.answerable:
            click.echo(f"recall@1 {s.recall[1]:.3f}  recall@5 {s.recall[5]:.3f}  recall@10 {s.recall[10]:.3f}  "
                       f"MRR@10 {s.mrr10:.3f}")
        rates = [f"{rate:.0%} of {name}" for rate, name in ((s.abstain_unanswerable, "unanswerable"),
                                                            (s.abstain_answerable, "answerable")) if rate is not None]
        click.echo("abstained on " + ", ".join(rates))
        click.echo(f"median latency {s.median_ms:.1f} ms")
        return
    click.echo(table([HEADER] + [r.row() for r in results]))


@main.command()
@click.option("--index", "index_dir", type=INDEX)
@click.option("--json", "as_json", is_flag=True)
@_friendly
def status(index_dir, as_json):
    """What the index holds: documents, meetings, dates covered."""
    from .retrieve import Retriever

    stats = Retriever.load(settings=_settings(index_dir=index_dir)).stats()
    if as_json:
        click.echo(json.dumps(stats))
        return
    for key, value in stats.items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


@main.command()
@click.option("--query", help="Words to look for in the decision or request.")
@click.option("--committee", help="Only this committee (any part of its name).")
@click.option("--since", help="Only meetings on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only meetings on or before this date (YYYY-MM-DD).")
@click.option("--kind", type=click.Choice(["noted", "approved", "requested", "scheduled", "elected", "excluded", "other"]))
@click.option("--open", "open_only", is_flag=True, help="Requests not yet delivered (instead of decisions).")
@click.option("--requests", "requests_only", is_flag=True, help="All requests and what delivered them.")
@click.option("--index", "index_dir", type=INDEX)
@click.option("--json", "as_json", is_flag=True)
@_friendly
def decisions(query, committee, since, until, kind, open_only, requests_only, index_dir, as_json):
    """The decisions register: what was resolved, and what was asked for and whether it came back."""
    from .dates import uk_date
    from .retrieve import Retriever

    since, until = _date(since, "--since"), _date(until, "--until")
    retriever = Retriever.load(settings=_settings(index_dir=index_dir))
    register = retriever.register()
    if open_only or requests_only:
        records = register.find_requests(query=query, committee=committee, since=since, until=until,
                                         open_only=open_only)
    else:
        records = register.find_decisions(query=query, committee=committee, since=since, until=until, kind=kind)
    if as_json:
        for r in records:
            click.echo(json.dumps(r.to_dict(), ensure_ascii=False))
        return
    if not records:
        click.echo("no matching records")
    for r in records:
        c = r.citation
        head = f"{uk_date(r.meeting_date) or 'date not stated'} · {r.committee or 'committee not stated'} · item {r.item_number or '-'}: {r.item_title or ''}"
        from .ingest import printable

        if hasattr(r, "kind"):
            click.echo(printable(f"{head} · {r.clause or ''} [{r.kind}]"))
        else:
            state = "OPEN" if r.status == "open" else f"delivered: {r.delivered_title} ({uk_date(r.delivered_date) or '?'})"
            if getattr(r, "incomplete", False):
                state += " · INCOMPLETE: the source text is cut off here; read the full minutes"
            click.echo(printable(f"{head} · {state}"))
        click.echo("    " + printable(" ".join(r.text.split())))
        click.echo(f"    {printable(c.source)}:{c.start}-{c.end}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--index", "index_dir", type=INDEX)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (issue 20: with a postgresql:// index they share one database).")
@_friendly
def serve(host, port, index_dir, workers):
    """HTTP API (FastAPI): /health, /search, /answer, /decisions, OpenAPI at /docs."""
    from .server import serve as run_server

    run_server(host=host, port=port, settings=_settings(index_dir=index_dir), workers=workers)


@main.command()
@click.option("--scale", default="1,10,100", show_default=True, help="Corpus replication factors, comma-separated.")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path))
@click.option("--questions", type=click.Path(path_type=Path), help="dev.jsonl-style file of bench queries.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench.json"), show_default=True,
              help="Where to write the JSON results.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON instead of the table.")
@click.option("--store", help="issue 20: a postgresql:// URL: the PostgreSQL store beside the folder store, at "
              "--scale times the indexed passages and at --passages counts (synthetic; see qa/pgbench.py).")
@click.option("--passages", default="", help="With --store: passage counts, comma-separated (e.g. 1000000).")
@_friendly
def bench(scale, corpus_dir, questions, out, as_json, store, passages):
    """Build throughput vs the encoding floor, query latency, cold start, memory and size at each scale."""
    from .bench import markdown_table, run_bench

    if store:
        _bench_store(store, scale, passages, questions, out, as_json)
        return

    try:
        scales = sorted({int(x) for x in scale.split(",") if x.strip()})
    except ValueError:
        raise BadQuery(f"--scale: {scale!r}; use whole numbers separated by commas, e.g. 1,10,100")
    if not scales or min(scales) < 1:
        raise BadQuery("--scale: use whole numbers from 1 up")
    default_dev = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev.jsonl"
    results = run_bench(_settings(corpus_dir=corpus_dir), scales, questions or default_dev,
                        progress=(lambda *_: None) if as_json else (lambda m: click.echo(m, err=True)))
    out.write_text(json.dumps(results, indent=2))
    click.echo(json.dumps(results) if as_json else markdown_table(results))


def _bench_store(url, scale, passages, questions, out, as_json):
    """issue 20: ``qa bench --store postgresql://...`` (the folder index of the corpus is the base)."""
    import tempfile

    from .evaluate import load_questions
    from .pgbench import markdown, scale_bench
    from .pgstore import is_url
    from .retrieve import Retriever

    if not is_url(url):
        raise BadQuery(f"--store: {url!r}; give a postgresql:// URL")
    settings = _settings()
    base = Retriever.load(settings=settings).version.manifest.passages
    try:
        sizes = [base * int(x) for x in scale.split(",") if x.strip()]
        sizes += [int(x) for x in passages.split(",") if x.strip()]
    except ValueError:
        raise BadQuery("--scale/--passages: use whole numbers separated by commas")
    default_dev = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev.jsonl"
    qs = [r["question"] for r in load_questions(questions or default_dev)]
    rows = scale_bench(settings, url, settings.index_dir, sorted(set(sizes)), qs,
                       Path(tempfile.mkdtemp(prefix="qa-pgbench-")),
                       progress=(lambda *_: None) if as_json else (lambda m: click.echo(m, err=True)))
    out.write_text(json.dumps(rows, indent=2))
    click.echo(json.dumps(rows) if as_json else markdown(rows))


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@click.option("--no-sections", is_flag=True, help="Meetings, dates and items only.")
@_friendly
def inspect(path, as_json, no_sections):
    """Show how one file reads: meetings, their dates and the words each date was read from, items, sections."""
    from .inspect import describe_file, render

    described = describe_file(path)
    if as_json:
        click.echo(json.dumps(described, ensure_ascii=False))
    else:
        click.echo("\n".join(render(described, sections=not no_sections)))


@main.command()
@click.option("--bank", "bank_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path(__file__).resolve().parent.parent / "eval" / "bank", show_default=True,
              help="Folder of question-bank .jsonl files.")
@click.option("--external", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path(__file__).resolve().parent.parent.parent / "shared" / "external", show_default=True,
              help="Folder of other bodies' papers, one folder per corpus.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Scratch folder for one index per corpus (kept between runs).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the model "
              "(default: the model qa ships, qa/models/ranker.json).")
@click.option("--cross", is_flag=True, help="Also print leave-one-fold-out figures (every fold but H).")
@_friendly
def train(bank_dir, external, work, out, cross):
    """Fit the ranker on the question bank (every fold but the held-out H) and write it."""
    from .bank import bank_files, load_bank
    from .ranker import DEFAULT_PATH
    from .train import collect, cross_validate, fit

    questions = [q for q in load_bank(bank_files(bank_dir)) if q.fold != "H"]
    samples, retrievers = collect(questions, work, _settings().corpus_dir, external,
                                  progress=lambda n, total: click.echo(f"{n}/{total}", err=True) if n % 50 == 0 else None)
    model = fit(samples)
    model.save(out or DEFAULT_PATH)
    click.echo(f"ranker: {model.trained_on['questions']} questions, {model.trained_on['candidates']} candidates, "
               f"threshold {model.threshold:.3f} -> {out or DEFAULT_PATH}")
    if cross:
        for fold, s in cross_validate(samples, retrievers).items():
            click.echo(f"{fold:7} cited@1 {s['cited@1']:.3f}  cited@5 {s['cited@5']:.3f}  MRR@10 {s['mrr@10']:.3f}  "
                       f"unanswerable abstained {s['unanswerable_abstained'] or 0:.0%}  "
                       f"answerable abstained {s['answerable_abstained']:.0%}")


if __name__ == "__main__":
    main()
