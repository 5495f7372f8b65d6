"""Kubernetes families: manifests that apply cleanly but do the wrong thing.

Every scenario renders `kubectl` output from the same generated objects, so pod names,
label values and restart counts agree across the conversation.
"""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill
from fabricator.flows import Cmd, GenTask, generic_flow
from fabricator.vocab import domain, repo_name

APPS = ("api", "worker", "frontend", "scheduler", "ingest")
REGISTRIES = ("ghcr.io/acme", "registry.internal:5000", "europe-docker.pkg.dev/acme/prod")

_DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{app}}
  labels:
    app.kubernetes.io/name: {{app}}
spec:
  replicas: {{replicas}}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{app}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{pod_label}}
    spec:
      containers:
        - name: {{app}}
          image: {{registry}}/{{app}}:{{tag}}
          ports:
            - containerPort: {{port}}
"""

_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {{app}}
spec:
  selector:
    app.kubernetes.io/name: {{app}}
  ports:
    - port: 80
      targetPort: {{port}}
"""


def _pods(ctx: Ctx, app: str, n: int, status: str) -> str:
    rows = ["NAME                         READY   STATUS    RESTARTS   AGE"]
    for _ in range(n):
        suffix = "".join(ctx.pick("abcdefghjkmnpqrstuvwxz23456789") for _ in range(5))
        pod = f"{app}-7d9c8b{ctx.rng.randint(10, 99)}-{suffix}"
        rows.append(f"{pod:<28} 1/1     {status:<9} 0          {ctx.rng.randint(2, 50)}m")
    return "\n".join(rows)


def selector_mismatch(ctx: Ctx) -> Draft:
    d = domain(ctx)
    app = ctx.pick(APPS)
    port = ctx.pick((8000, 8080, 3000, 5000))
    replicas = ctx.rng.randint(2, 5)
    v = dict(
        app=app,
        port=port,
        replicas=replicas,
        registry=ctx.pick(REGISTRIES),
        tag="1.4." + str(ctx.rng.randint(0, 9)),
    )
    broken = fill(_DEPLOY, pod_label=f"{app}-v2", **v)
    fixed = fill(_DEPLOY, pod_label=app, **v)
    path = f"deploy/{app}/deployment.yaml"
    apply_err = (
        f'The Deployment "{app}" is invalid: spec.template.metadata.labels: Invalid value: '
        f'map[string]string{{"app.kubernetes.io/name":"{app}-v2"}}: `selector` does not match '
        "template `labels`"
    )
    return generic_flow(
        ctx,
        GenTask(
            family="k8s_selector",
            variant=app,
            category="bug_fix",
            language="yaml",
            difficulty="easy",
            summary="Make a Deployment's pod labels match its selector",
            repo=repo_name(ctx, d),
            files={path: broken, f"deploy/{app}/service.yaml": fill(_SERVICE, app=app, port=port)},
            changes=[(path, fixed)],
            user=(
                f"`kubectl apply -f {path}` is rejected since I renamed the pod label. "
                "What is wrong?"
            ),
            diagnosis=(
                "A Deployment's `spec.selector.matchLabels` must match the pod template's labels; "
                f"the template now says `{app}-v2` while the selector (immutable) still says "
                f"`{app}`."
            ),
            explanation=(
                f"The pod template label was changed to `{app}-v2`, but the selector still selects "
                f"`{app}` and cannot be changed on an existing Deployment. Restoring the template "
                "label lets the apply succeed and keeps the Service "
                f"(which selects `{app}`) working."
            ),
            fence_lang="yaml",
            reads=(path,),
            symbol="matchLabels",
            search_suffix=".yaml",
            reproduce=Cmd(f"kubectl apply -f {path}", apply_err, 1),
            verify=(
                Cmd(f"kubectl apply -f {path}", f"deployment.apps/{app} configured"),
                Cmd(
                    f"kubectl get pods -l app.kubernetes.io/name={app}",
                    _pods(ctx, app, replicas, "Running"),
                ),
            ),
        ),
    )


_PROBE = """          livenessProbe:
            httpGet:
              path: {{probe}}
              port: {{port}}
            initialDelaySeconds: {{delay}}
            periodSeconds: 10
"""


def liveness_path(ctx: Ctx) -> Draft:
    d = domain(ctx)
    app = ctx.pick(APPS)
    port = ctx.pick((8000, 8080, 9000))
    wrong = ctx.pick(("/health", "/healthz/", "/status"))
    right = ctx.pick(("/healthz", "/livez", "/-/healthy"))
    v = dict(
        app=app, port=port, replicas=2, registry=ctx.pick(REGISTRIES), tag="2.0.1", pod_label=app
    )
    base = fill(_DEPLOY, **v)
    path = f"deploy/{app}/deployment.yaml"
    broken = base + fill(_PROBE, probe=wrong, port=port, delay=5)
    fixed = base + fill(_PROBE, probe=right, port=port, delay=15)
    restarts = ctx.rng.randint(4, 30)
    events = (
        f"Warning  Unhealthy  {ctx.rng.randint(1, 9)}m  kubelet  Liveness probe failed: "
        f"HTTP probe failed with statuscode: 404\n"
        f"Normal   Killing    {ctx.rng.randint(1, 9)}m  kubelet  Container {app} failed liveness "
        "probe, will be restarted"
    )
    return generic_flow(
        ctx,
        GenTask(
            family="k8s_liveness",
            variant=wrong.strip("/"),
            category="debugging",
            language="yaml",
            difficulty="medium",
            summary="Fix a liveness probe that restarts healthy pods",
            repo=repo_name(ctx, d),
            files={path: broken, "app/routes.py": f'ROUTES = {{"{right}": "ok"}}\n'},
            changes=[(path, fixed)],
            user=(
                f"The {app} pods restart every few minutes ({restarts} restarts so far) "
                "but the app logs look fine."
            ),
            diagnosis=(
                f"The kubelet probes `{wrong}`, which the app does not serve (404), so every probe "
                f"fails and the container is killed. The app's health route is `{right}`."
            ),
            explanation=(
                f"The liveness probe pointed at `{wrong}` and got 404s, so the kubelet killed "
                f"healthy containers. It now probes `{right}`, and `initialDelaySeconds` gives "
                "the app 15s to start."
            ),
            fence_lang="yaml",
            reads=(path, "app/routes.py"),
            symbol="livenessProbe",
            search_suffix=".yaml",
            reproduce=Cmd(
                f"kubectl describe pod -l app.kubernetes.io/name={app} | tail -n 2", events
            ),
            verify=(
                Cmd(
                    f"kubectl rollout status deploy/{app}",
                    f'deployment "{app}" successfully rolled out',
                ),
            ),
        ),
    )


def image_pull(ctx: Ctx) -> Draft:
    d = domain(ctx)
    app = ctx.pick(APPS)
    registry = ctx.pick(REGISTRIES)
    good = f"1.{ctx.rng.randint(2, 9)}.{ctx.rng.randint(0, 12)}"
    typo = good.replace(".", "-", 1)
    v = dict(app=app, port=8080, replicas=1, registry=registry, pod_label=app)
    path = f"deploy/{app}/deployment.yaml"
    pods = _pods(ctx, app, 1, "ErrImagePull")
    return generic_flow(
        ctx,
        GenTask(
            family="k8s_image_tag",
            variant=registry.split("/")[0],
            category="debugging",
            language="yaml",
            difficulty="easy",
            summary="Fix an image tag that does not exist",
            repo=repo_name(ctx, d),
            files={path: fill(_DEPLOY, tag=typo, **v)},
            changes=[(path, fill(_DEPLOY, tag=good, **v))],
            user=f"After the release the new {app} pod never starts. Can you look?",
            diagnosis=f"The tag `{typo}` is not a published image; the release tag is `{good}`.",
            explanation=f"The manifest referenced `{registry}/{app}:{typo}`, which does not exist, "
            "so the "
            f"kubelet could not pull it. The tag is now `{good}`, the version CI pushed.",
            fence_lang="yaml",
            reads=(path,),
            symbol="image:",
            search_suffix=".yaml",
            reproduce=Cmd(f"kubectl get pods -l app.kubernetes.io/name={app}", pods),
            verify=(
                Cmd(
                    f"kubectl rollout status deploy/{app}",
                    f'deployment "{app}" successfully rolled out',
                ),
            ),
        ),
    )


FAMILIES = [
    Family("k8s_selector", "yaml", 2, selector_mismatch),
    Family("k8s_liveness", "yaml", 2, liveness_path),
    Family("k8s_image_tag", "yaml", 1, image_pull),
]
