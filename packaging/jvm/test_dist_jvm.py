"""`make test-dist-jvm`: the published Kotlin artifact, proven in a clean room.

1. dist/maven/ is a Maven repository with what Maven Central requires: jar, sources jar, javadoc
   jar and pom (name, description, url, licenses, developers, scm, compile dependencies), each
   with checksums; the jar carries linux-x86-64/libpolypay_uniffi.so (stripped, GLIBC_ <= 2.17)
   and its manifest names the version.
2. A fresh Maven project in a temporary folder depends on io.polypay:polypay-kotlin only, through
   a file:// repository of dist/maven/, compiles the Kotlin samples of
   bindings-uniffi/kotlin/README.md (taken from the README here) with a small main, and runs it
   with plain `java -cp` (no -Djna.library.path, no JVM flag) in an empty environment (no
   cargo/rustc on PATH, a new HOME) against `polypay sandbox`.

Maven runs with the machine's own configuration (settings, mirrors) but its own local
repository (--cache, kept between runs for the Kotlin compiler and the libraries), from which
io/polypay/ is removed first: polypay-kotlin can only come from dist/maven/, never from an
artifact `mvn install` left in ~/.m2.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from readme_samples import require, samples  # noqa: E402
from sandbox import Sandbox  # noqa: E402

GROUP, ARTIFACT = "io.polypay", "polypay-kotlin"
JNA_RESOURCE = "linux-x86-64/libpolypay_uniffi.so"
KOTLIN_VERSION = "2.1.21"  # as bindings-uniffi/kotlin/pom.xml
CLEAN_PATH = "/usr/bin:/bin"
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

CONSUMER_POM = """<?xml version="1.0" encoding="UTF-8"?>
<!-- A consumer of the published polypay-kotlin (written by packaging/jvm/test_dist_jvm.py). -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>polypay-consumer</artifactId>
  <version>1.0</version>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <kotlin.compiler.jvmTarget>17</kotlin.compiler.jvmTarget>
  </properties>
  <repositories>
    <repository>
      <id>polypay-dist</id>
      <url>{repo_url}</url>
    </repository>
  </repositories>
  <dependencies>
    <dependency>
      <groupId>{group}</groupId>
      <artifactId>{artifact}</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
  <build>
    <sourceDirectory>src/main/kotlin</sourceDirectory>
    <plugins>
      <plugin>
        <groupId>org.jetbrains.kotlin</groupId>
        <artifactId>kotlin-maven-plugin</artifactId>
        <version>{kotlin}</version>
        <executions>
          <execution><id>compile</id><goals><goal>compile</goal></goals></execution>
        </executions>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
        <executions>
          <execution>
            <id>classpath</id>
            <phase>package</phase>
            <goals><goal>build-classpath</goal></goals>
            <configuration><outputFile>target/classpath.txt</outputFile></configuration>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
"""

# Drives the README's functions (kotlin-client: createInvoice; kotlin-hpp-callback:
# paymentPageUrl, onCallback) as the bindings' ReadmeTest does, and names the library JNA loaded.
MAIN_KT = '''import com.sun.jna.NativeLibrary
import kotlinx.coroutines.runBlocking
import polypay.paycoreSignCallback

fun main(args: Array<String>) = runBlocking {
    val (baseUrl, accountId, apiKey, publicKey, secretKey) = args
    val reference = "dist-jvm-" + java.util.UUID.randomUUID().toString().take(8)
    val invoice = createInvoice(baseUrl, accountId, apiKey, reference) ?: error("the quickstart created no invoice")
    check(invoice.id.startsWith("cpi_") && invoice.referenceId == reference && invoice.amount?.compareTo(java.math.BigDecimal("100.55")) == 0) { "$invoice" }
    // Another error than a validation one is rethrown.
    val refused = runCatching { createInvoice(baseUrl, accountId, "wrong_key", reference + "x") }.exceptionOrNull()
    check(refused is polypay.PolypayException.Authentication) { "wrong key: $refused" }

    val url = paymentPageUrl(baseUrl, publicKey)
    check(url.startsWith("$baseUrl/hpp/")) { url }
    val body = """{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed","resolution":"ok","amount":1,"currency":"USD"}}}""".toByteArray()
    check(onCallback(body, paycoreSignCallback(body, secretKey), secretKey)) { "callback not final and successful" }

    val library = NativeLibrary.getInstance("polypay_uniffi").file
    println("jna.library.path=${System.getProperty("jna.library.path")}")
    println("native library: $library")
    println("quickstart ok: ${invoice.id} ${invoice.status} $url")
}
'''


def fail(message: str) -> None:
    sys.exit(f"test-dist-jvm: {message}")


def check_repository(repo: Path, version: str) -> Path:
    base = repo / GROUP.replace(".", "/") / ARTIFACT / version
    stem = f"{ARTIFACT}-{version}"
    files = {kind: base / f"{stem}{suffix}" for kind, suffix in
             (("jar", ".jar"), ("sources", "-sources.jar"), ("javadoc", "-javadoc.jar"), ("pom", ".pom"))}
    for kind, path in files.items():
        if not path.is_file():
            fail(f"{path} missing ({kind})")
        for checksum in (".sha1", ".md5"):
            if not Path(str(path) + checksum).is_file():
                fail(f"{path}{checksum} missing")
    if not (repo / GROUP.replace(".", "/") / ARTIFACT / "maven-metadata.xml").is_file():
        fail("maven-metadata.xml missing: dist/maven is not a repository layout")

    pom = ET.parse(files["pom"]).getroot()
    for element in ("name", "description", "url", "licenses/m:license/m:name",
                    "developers/m:developer/m:name", "scm/m:url"):
        found = pom.find("m:" + element, POM_NS)
        if found is None or not (found.text or "").strip():
            fail(f"{files['pom']}: no {element} (Maven Central requires it)")
    if pom.findtext("m:version", namespaces=POM_NS) != version:
        fail(f"{files['pom']}: version {pom.findtext('m:version', namespaces=POM_NS)}, workspace {version}")
    deps = {d.findtext("m:artifactId", namespaces=POM_NS): d.findtext("m:scope", namespaces=POM_NS) or "compile"
            for d in pom.findall("m:dependencies/m:dependency", POM_NS)}
    for needed in ("kotlin-stdlib", "kotlinx-coroutines-core", "jna"):
        if deps.get(needed) != "compile":
            fail(f"{files['pom']}: {needed} is not a compile dependency ({deps})")

    with zipfile.ZipFile(files["jar"]) as jar:
        names = set(jar.namelist())
        if JNA_RESOURCE not in names:
            fail(f"{files['jar']}: no {JNA_RESOURCE}")
        manifest = jar.read("META-INF/MANIFEST.MF").decode()
        if f"Implementation-Version: {version}" not in manifest.splitlines():
            fail(f"{files['jar']}: manifest without Implementation-Version: {version}:\n{manifest}")
        for cls in ("polypay/Polypay_uniffiKt.class", "polypay/PayCoreClient.class", "polypay/PayCoreClientCallsKt.class"):
            if cls not in names:
                fail(f"{files['jar']}: no {cls}")
        with tempfile.TemporaryDirectory() as tmp:
            so = Path(tmp) / "libpolypay_uniffi.so"
            so.write_bytes(jar.read(JNA_RESOURCE))
            subprocess.run([str(HERE / "check-native.sh"), str(so)], check=True)
    with zipfile.ZipFile(files["sources"]) as jar:
        for src in ("polypay/polypay_uniffi.kt", "polypay/PayCoreClientCalls.kt", "polypay/ErrorDetails.kt"):
            if src not in jar.namelist():
                fail(f"{files['sources']}: no {src} ({jar.namelist()[:20]})")
    with zipfile.ZipFile(files["javadoc"]) as jar:
        if "index.html" not in jar.namelist():
            fail(f"{files['javadoc']}: no index.html")
    print(f"test-dist-jvm: {base}: jar, sources, javadoc, pom, checksums, metadata; {JNA_RESOURCE} inside")
    return files["jar"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--readme", type=Path, required=True)
    parser.add_argument("--polypay", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="the consumer's Maven local repository")
    args = parser.parse_args()
    repo = args.repo.resolve()
    check_repository(repo, args.version)

    found = samples(args.readme, "kotlin")
    require(found, args.readme, "kotlin-client", "kotlin-hpp-callback")

    cache = args.cache.resolve()
    shutil.rmtree(cache / GROUP.replace(".", "/"), ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="polypay-dist-jvm-"))
    try:
        project = work / "consumer"
        src = project / "src/main/kotlin"
        src.mkdir(parents=True)
        (project / "pom.xml").write_text(CONSUMER_POM.format(
            repo_url=repo.as_uri(), group=GROUP, artifact=ARTIFACT, version=args.version, kotlin=KOTLIN_VERSION))
        for name, code in found.items():  # every Kotlin sample compiles; two of them run
            (src / f"{name.replace('-', '_')}.kt").write_text(code)
        (src / "Main.kt").write_text(MAIN_KT)

        # Maven: the machine's settings (HOME kept), no Rust on PATH.
        maven_env = {"PATH": CLEAN_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
        subprocess.run(["mvn", "-q", "-B", f"-Dmaven.repo.local={cache}", "package"], cwd=project, env=maven_env, check=True)
        resolved = cache / GROUP.replace(".", "/") / ARTIFACT / args.version / f"{ARTIFACT}-{args.version}.jar"
        if not resolved.is_file():
            fail(f"{resolved}: Maven did not resolve polypay-kotlin from the file:// repository")
        classpath = f"{project / 'target/classes'}:{(project / 'target/classpath.txt').read_text().strip()}"

        # The run: an empty environment, a new HOME, plain `java -cp`.
        home = work / "home"
        home.mkdir()
        run_env = {"PATH": CLEAN_PATH, "HOME": str(home), "LANG": "C.UTF-8"}
        if shutil.which("cargo", path=CLEAN_PATH) or shutil.which("rustc", path=CLEAN_PATH):
            fail(f"cargo or rustc is on {CLEAN_PATH}: not a clean room")
        with Sandbox(args.polypay.resolve()) as sandbox:
            run = subprocess.run(["java", "-cp", classpath, "MainKt", *sandbox.args()], cwd=work, env=run_env,
                                 capture_output=True, text=True, timeout=300)
        sys.stdout.write(run.stdout)
        sys.stderr.write(run.stderr)
        if run.returncode != 0:
            fail(f"the quickstart exited {run.returncode}")
        lines = run.stdout.splitlines()
        if "jna.library.path=null" not in lines or not any(l.startswith("quickstart ok: cpi_") for l in lines):
            fail("the quickstart did not report success")
        library = next(l for l in lines if l.startswith("native library: "))
        if str(Path.cwd()) in library or "/target/" in library:
            fail(f"JNA loaded the library from the build tree, not from the jar: {library}")
        print(f"test-dist-jvm: a fresh Maven project ran the README's Kotlin quickstart with {ARTIFACT}-{args.version} "
              f"from {repo.as_uri()} (no JVM flag, no Rust on PATH)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
