# pix2pixHD for Deno as a batch-job image (docs/scale.md): every recipe is the entrypoint's first
# argument, the rest are its flags:
#
#   docker build -t pix2pixhd-deno .
#   docker run --rm -v /shared:/data pix2pixhd-deno synth --name label2city_1024p \
#     --checkpoints_dir /data/checkpoints --dataroot /data/cityscapes --results_dir /data/results --shard 1/8
#
# Debian's oneDNN (libdnnl2) is the fast CPU backend (`--backend auto` picks it); Deno comes from npm,
# the same build `npx -y deno@2.9.6` runs.
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs npm libdnnl2 \
 && rm -rf /var/lib/apt/lists/*

RUN npm install -g deno@2.9.6 && npm cache clean --force && deno --version

ENV DENO_DIR=/opt/deno-cache
WORKDIR /app
COPY . .
# the npm dependencies (node_modules, from deno.lock) and every recipe compiled ahead, so a pod
# downloads nothing when it starts
RUN deno install --frozen-lockfile && deno install --entrypoint scripts/*.ts

# --config: the tasks run in /app whatever the working directory (Apptainer ignores WORKDIR); pass
# absolute paths (the mounted volume) to the recipes
ENTRYPOINT ["deno", "task", "--quiet", "--config", "/app/deno.json"]
CMD ["doctor"]
