#!/usr/bin/env bash
# Builds a self-contained bundle for a machine with an OpenCL device and no JDK (the device tool's
# GPU machines): a jlink'd Java runtime, the cnnc CLI's jars, the OpenCL tests' classes and the
# samples, and run.sh, which runs the OpenCL tests and `cnnc bench --backend opencl` on the Fashion
# net, ResNet-20 and ResNet-18 with java directly (not ./cnnc, which would try to rebuild).
#
#   tools/gpu-bundle.sh DIR        build the bundle in DIR (under 64 MiB; refused otherwise)
#   DIR/run.sh [OUT [NET...]]      on the device machine: tests and benchmarks (NET: fashion, resnet20, resnet18;
#                                  default all three), results in OUT (default DIR/results)
#
# Tested here on PoCL: tools/gpu-bundle.sh target/gpu-bundle && target/gpu-bundle/run.sh target/gpu-results fashion
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: tools/gpu-bundle.sh DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
[ -x "$java_home/bin/jlink" ] || { echo "gpu-bundle: no jlink in $java_home (set JAVA_HOME to a JDK 17 or newer)" >&2; exit 2; }

# the jars: the CLI and what it links, the compiler's test classes and theirs (junit's console launcher runs them)
./mvnw -B -ntp -q install -DskipTests
./mvnw -B -ntp -q -pl compiler test-compile
rm -rf "$out/jre" "$out/lib" "$out/tests" "$out/samples"
mkdir -p "$out/lib" "$out/tests" "$out/samples"
./mvnw -B -ntp -q -pl cli dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib"
cp cli/target/cnnc-cli-*.jar "$out/lib/"
rm -f "$out"/lib/*-sources.jar
./mvnw -B -ntp -q -pl compiler dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$out/tests" \
  -DexcludeGroupIds=dev.cnnc,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
./mvnw -B -ntp -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:6.1.3 -DoutputDirectory="$out/tests"
# the test classpath's jars that lib/ already has are left out
for j in "$out"/tests/*.jar; do [ -e "$out/lib/$(basename "$j")" ] && rm "$j"; done
(cd compiler/target/test-classes && jar cf "$out/tests/cnnc-compiler-tests.jar" .)
cp samples/*.cnn "$out/samples/"

"$java_home/bin/jlink" --add-modules java.base,java.compiler,java.logging,jdk.incubator.vector,jdk.compiler,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre" 2>&1 | grep -v "^Warning: The --compress" || true

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the device machine: which OpenCL devices there are, the OpenCL tests, and the benchmarks.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
results="${1:-$here/results}"
shift || true
nets=("${@:-fashion resnet20 resnet18}")
nets=(${nets[*]})
mkdir -p "$results"
java=("$here/jre/bin/java" --add-modules jdk.incubator.vector -Xmx8g)
cnnc=("${java[@]}" -cp "$here/lib/*" dev.cnnc.cli.Main)
status=0
"${cnnc[@]}" devices | tee "$results/devices.txt" || status=1
"${java[@]}" -cp "$here/lib/*:$here/tests/*" org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors --details=tree \
  --select-class dev.cnnc.compiler.backend.OpenClVsJavaTest --select-class dev.cnnc.compiler.backend.OpenClStepTrafficTest \
  2>&1 | tee "$results/tests.txt" || status=1
bench() { # name file batch extra...
  local name=$1 file=$2 batch=$3; shift 3
  [[ " ${nets[*]} " == *" $name "* ]] || return 0
  "${cnnc[@]}" bench "$here/samples/$file" --backend opencl --mode train,infer --batch "$batch" "$@" 2>&1 | tee "$results/bench-$name.txt" \
    || status=1
}
bench fashion fashion_mnist.cnn 64
bench resnet20 resnet20_cifar.cnn 128
bench resnet18 resnet18.cnn 16 --warmup 1 --repeat 3
exit $status
RUN
chmod +x "$out/run.sh"
size=$(du -sm "$out" --exclude=results | cut -f1)
echo "gpu-bundle: $out, $size MiB (jre $(du -sm "$out/jre" | cut -f1), lib $(du -sm "$out/lib" | cut -f1), tests $(du -sm "$out/tests" | cut -f1))"
if [ "$size" -gt 64 ]; then
  echo "gpu-bundle: over the 64 MiB the device tool carries" >&2
  exit 1
fi
