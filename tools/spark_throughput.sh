#!/usr/bin/env bash
# Throughput of cnnc-spark on this machine: the Fashion net (Debian's Fashion-MNIST) and
# ResNet-20 (random CIFAR-shaped images: the speed does not depend on the pixels) with 1 and 2
# workers, local[W] in one JVM (the workers still exchange over loopback TCP). Each epoch line
# prints images/s, images/s per worker and the exchange's share of a step.
# Needs: ./mvnw install (spark/target/cnnc-spark-*-all.jar) and spark/target/spark-classpath.txt
# (./mvnw -pl spark generate-test-resources).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=$(ls spark/target/cnnc-spark-*-all.jar | head -1)
cp="$jar:$(cat spark/target/spark-classpath.txt)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/cifar" <<'PY'
import gzip, os, struct, sys, random
d = sys.argv[1]; os.makedirs(d)
n, rng = 5120, random.Random(0)
with open(os.path.join(d, "train-images-idx3-ubyte"), "wb") as f:
    f.write(struct.pack(">IIIII", 0x0804, n, 32, 32, 3)); f.write(os.urandom(n * 32 * 32 * 3))
with open(os.path.join(d, "train-labels-idx1-ubyte"), "wb") as f:
    f.write(struct.pack(">II", 0x0801, n)); f.write(bytes(rng.randrange(10) for _ in range(n)))
PY
opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED"
fashion=${CNNC_DATA:-/usr/share/datasets/fashion-mnist}
run() { # model data workers batch steps
  echo "== $1, $3 worker(s), global batch $4, $5 steps"
  java -Xmx8g --add-modules=jdk.incubator.vector $opens -Dlog4j2.level=warn -cp "$cp" dev.cnnc.spark.Main "$1" --data "$2" --workers "$3" \
    --batch "$4" --steps "$5" --run-dir "$work/run-$RANDOM" --worker-wait 30 2>&1 | grep -E "^(epoch|trained)" || true
}
for w in 1 2; do run samples/fashion_mnist.cnn "$fashion" $w 64 600; done
for w in 1 2; do run samples/resnet20_cifar.cnn "$work/cifar" $w 128 40; done
# the exchange alone: the ring's latency and bandwidth on loopback, and what a Spark job a step would cost instead
[ -d spark/target/test-classes ] || ./mvnw -B -ntp -q -pl spark test-compile
java --add-modules=jdk.incubator.vector $opens -cp "spark/target/test-classes:spark/target/classes:$(cat spark/target/spark-classpath.txt):$(cat spark/target/application-classpath.txt)" \
  dev.cnnc.spark.ExchangeBench 2>&1 | grep -E "^(ring|a Spark job)"
