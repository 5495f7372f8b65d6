# The pipeline image: the Lambda functions that need the analysis stack (pyarrow, numpy,
# scipy, datasketch), too big for a layer. Validate, Parse, Score and Aggregate all run
# from it; each function's ImageConfig.Command in template.yaml names its handler.
#
# `sam build` builds it with the repository root as context (see .dockerignore), once per
# function (Docker's cache makes the later builds instant); `sam deploy` pushes it to ECR.
FROM public.ecr.aws/lambda/python:3.11

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Kept at their repository paths: pipeline-requirements.txt includes ../layers/requirements.txt.
COPY layers/requirements.txt /tmp/req/layers/requirements.txt
COPY functions/pipeline-requirements.txt /tmp/req/functions/pipeline-requirements.txt
RUN pip install --no-cache-dir --only-binary=:all: \
        -r /tmp/req/functions/pipeline-requirements.txt \
    && rm -rf /tmp/req

# The library and the handlers, laid out as the zip functions see them: `dfab` importable
# from the task root, each handler as functions.<name>.app.handler.
COPY layers/dfab ${LAMBDA_TASK_ROOT}/dfab
COPY functions/validate/app.py ${LAMBDA_TASK_ROOT}/functions/validate/app.py
COPY functions/parse/app.py ${LAMBDA_TASK_ROOT}/functions/parse/app.py
COPY functions/score/app.py ${LAMBDA_TASK_ROOT}/functions/score/app.py
COPY functions/aggregate/app.py ${LAMBDA_TASK_ROOT}/functions/aggregate/app.py

# The base image's entrypoint runs the handler named by CMD (template: ImageConfig.Command).
CMD ["functions.validate.app.handler"]
