"""Running the catalog on Spark (PySpark) through Ibis: the same metric expressions, another engine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qunkpi.engine.lake import LAKE_TABLES, read_manifest
from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr


def spark_session(master: str | None = None, remote: str | None = None, timezone: str = "UTC") -> Any:
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as e:
        raise QunkpiError(tr("未安装 pyspark：pip install 'qunkpi[spark]'（需要 Java 17）",
                             "pyspark is not installed: pip install 'qunkpi[spark]' (needs Java 17)")) from e
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    b = SparkSession.builder.appName("qunkpi")
    if remote:
        b = b.remote(remote)
    else:
        b = (
            b.master(master or "local[2]")
            .config("spark.driver.memory", "4g")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
        )
    # Stored timestamps are naive local wall-clock times: keep Spark from shifting them.
    b = b.config("spark.sql.session.timeZone", "UTC").config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    b = b.config("spark.sql.timestampType", "TIMESTAMP_NTZ")
    return b.getOrCreate()


def spark_backend(lake: Path, session: Any) -> tuple[Any, dict[str, Any]]:
    """An Ibis PySpark backend whose tables are the lake's Parquet folders, and the lake manifest."""
    import ibis

    manifest = read_manifest(lake)
    for t in LAKE_TABLES:
        path = lake / t
        if path.exists():
            session.read.parquet(str(path)).createOrReplaceTempView(t)
    return ibis.pyspark.connect(session), manifest
