"""The ``qunkpi`` command line. Thin: every command calls a service function and prints its result."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from qunkpi.cli.common import LangOpt, console, user_errors
from qunkpi.i18n import set_lang, tr

app = typer.Typer(
    name="qunkpi",
    help=tr(
        "群KPI：社群运营的指标、目标、诊断与考核系统。先 `qunkpi init`，再 `qunkpi import`，然后 `qunkpi metrics`。",
        "qunkpi (群KPI): KPIs, targets, diagnoses and appraisal for private-domain communities. "
        "Start with `qunkpi init`, then `qunkpi import`, then `qunkpi metrics`.",
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(lang: LangOpt = None) -> None:
    if lang:
        set_lang(lang)


@app.command("init", help=tr("创建工作区（数据库、配置、假名化密钥）", "create a workspace (database, settings, pseudonymisation key)"))
def init_cmd(
    path: Annotated[Path, typer.Argument(help=tr("工作区文件夹", "workspace folder"))],
    timezone: Annotated[str, typer.Option(help=tr("时区", "time zone"))] = "Asia/Shanghai",
    locale: Annotated[str, typer.Option(help=tr("语言 zh-CN 或 en", "locale zh-CN or en"))] = "zh-CN",
) -> None:
    from qunkpi.workspace import Workspace

    with user_errors():
        ws = Workspace.init(path, timezone=timezone, locale=locale)
        ws.close()
    console.print(tr(f"已创建工作区 {path}（密钥文件权限 0600，请勿外传）", f"created workspace {path} (key file mode 0600; keep it private)"))


# Sub-commands live in one module per noun; each exposes register(app).
_COMMAND_MODULES = [
    "qunkpi.cli.import_cmd",
    "qunkpi.cli.metrics_cmd",
    "qunkpi.cli.cohorts_cmd",
    "qunkpi.cli.demo_cmd",
    "qunkpi.cli.classify_cmd",
    "qunkpi.cli.members_cmd",
    "qunkpi.cli.plan_cmd",
    "qunkpi.cli.alerts_cmd",
    "qunkpi.cli.appraise_cmd",
    "qunkpi.cli.report_cmd",
    "qunkpi.cli.serve_cmd",
    "qunkpi.cli.bench_cmd",
    "qunkpi.cli.admin_cmd",
]

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
