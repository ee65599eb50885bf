"""The options a dataset URL carries for pyarrow, translated for fsspec-based readers (Hugging Face ``datasets``).

pyarrow reads S3 settings from the URL itself (``s3://bucket/prefix?endpoint_override=minio:9000&scheme=http``);
s3fs, which ``datasets`` goes through, takes them as ``storage_options`` instead. Without this translation a reader
given the shard URLs (which carry no query) would go to AWS itself rather than the endpoint the dataset is on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit


def fsspec_storage_options(location: str) -> dict[str, Any]:
    """s3fs ``storage_options`` equivalent to the query of an ``s3://`` URL ({} for anything else)."""
    parts = urlsplit(location)
    if parts.scheme != "s3" or not parts.query:
        return {}
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options: dict[str, Any] = {}
    if "endpoint_override" in query:
        endpoint = query["endpoint_override"]
        if "://" not in endpoint:
            endpoint = f"{query.get('scheme', 'https')}://{endpoint}"
        options["endpoint_url"] = endpoint
    if "region" in query:
        options["client_kwargs"] = {"region_name": query["region"]}
    return options
