# The sandbox image: one Fargate task runs one generation or verification task.
#
#   /usr/local (the image's Python)  harness runtime: Python 3.11 + the allowlist only
#   /opt/dfab                        the supervisor: its own venv + the dfab library
#
# The supervisor runs as an unprivileged user with no capabilities (task definition:
# user 10001, capabilities drop ALL, read-only root filesystem, a scratch volume at
# /scratch, initProcessEnabled, nproc/nofile ulimits). See docs/validator/security.md.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DFAB_SANDBOX_BACKEND=auto \
    DFAB_SANDBOX_PYTHON=/usr/local/bin/python3 \
    DFAB_SCRATCH_DIR=/scratch \
    TMPDIR=/scratch

# bubblewrap: used when the platform allows user namespaces (Fargate usually does not;
# the supervisor then falls back to rlimits + its own process reaping).
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap \
    && rm -rf /var/lib/apt/lists/*

# The harness allowlist, into the image's own Python: exactly what harnesses can import.
COPY sandbox_image/requirements.txt /tmp/allowlist.txt
RUN pip install --no-cache-dir -r /tmp/allowlist.txt && rm /tmp/allowlist.txt

# The supervisor in a separate venv (requests, pydantic ... stay out of harness reach).
COPY sandbox_image/supervisor-requirements.txt /tmp/supervisor.txt
RUN python -m venv /opt/dfab \
    && /opt/dfab/bin/pip install --no-cache-dir -r /tmp/supervisor.txt \
    && rm /tmp/supervisor.txt
COPY layers/dfab /opt/dfab/src/dfab
COPY sandbox_image/entrypoint.py /opt/dfab/entrypoint.py

# Packaging tools are not on the allowlist: remove them from the harness's Python.
RUN python -m pip uninstall -y -q setuptools wheel pip

# No setuid/setgid binaries: nothing in the image can raise privileges.
RUN find / -xdev -type f -perm /6000 -exec chmod a-s {} + \
    && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin dfab \
    && mkdir -p /scratch && chown 10001:10001 /scratch && chmod 0700 /scratch

# Writable scratch on a read-only root filesystem (task definition: volumes at both).
VOLUME ["/scratch", "/tmp"]
USER 10001:10001
WORKDIR /scratch
ENTRYPOINT ["/opt/dfab/bin/python", "-I", "/opt/dfab/entrypoint.py"]
