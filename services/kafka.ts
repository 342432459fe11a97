import { stripVTControlCharacters } from "node:util";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { cacheRoot } from "./paths.js";
import { spawnService, type PidRecord } from "./process.js";

export const KAFKA_VERSION = process.env.PULSE_KAFKA_VERSION ?? "3.9.1";
/** kafka_2.13's pom declares slf4j-api only; the broker needs a binding, and 3.9 logs through log4j 1.x (reload4j). */
const SLF4J_BINDING = "org.slf4j:slf4j-reload4j:1.7.36";
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1";

export type Log = (line: string) => void;

/**
 * Resolves kafka_2.13 and its runtime dependency tree from Maven Central into
 * `~/.cache/pulse/kafka-<version>/libs` once; later calls return at once and work offline.
 * The directory appears by rename only after Maven succeeded, so an interrupted download is retried.
 */
export async function ensureKafkaJars(log: Log, version = KAFKA_VERSION): Promise<string> {
  const root = path.join(cacheRoot(), `kafka-${version}`);
  const libs = path.join(root, "libs");
  if (fs.existsSync(path.join(libs, `kafka_2.13-${version}.jar`))) return libs;

  fs.mkdirSync(root, { recursive: true });
  const staging = path.join(root, `libs.tmp-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  const pom = path.join(root, "pom.xml");
  fs.writeFileSync(pom, runtimePom(version));
  log(`kafka ${version}: first run, resolving the broker's jars from Maven Central into ${libs} (a minute or two)`);
  const started = Date.now();
  await runMaven(["-B", "-f", pom, `${DEPENDENCY_PLUGIN}:copy-dependencies`, "-DincludeScope=runtime", `-DoutputDirectory=${staging}`], log);
  if (!fs.existsSync(path.join(staging, `kafka_2.13-${version}.jar`))) {
    throw new Error(`maven finished but ${staging} has no kafka_2.13-${version}.jar`);
  }
  fs.rmSync(libs, { recursive: true, force: true });
  fs.renameSync(staging, libs);
  log(`kafka ${version}: ${fs.readdirSync(libs).length} jars cached in ${Math.round((Date.now() - started) / 1000)} s`);
  return libs;
}

function runtimePom(version: string): string {
  const [bindingGroup, bindingArtifact, bindingVersion] = SLF4J_BINDING.split(":");
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>pulse.local</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>
    <dependency>
      <groupId>${bindingGroup}</groupId>
      <artifactId>${bindingArtifact}</artifactId>
      <version>${bindingVersion}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** Runs mvn, relaying one progress line per downloaded artifact (Maven's own transfer bars are noise in a log). */
export function runMaven(args: string[], log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("mvn", args, { stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    let downloaded = 0;
    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const raw of lines) {
        const line = stripVTControlCharacters(raw);
        output.push(line);
        if (output.length > 60) output.shift();
        const jar = /^(?:\[INFO\] )?Downloaded from \S+ \S*\/([^/\s]+\.jar) /.exec(line);
        if (jar) {
          downloaded += 1;
          log(`  downloaded [${downloaded}] ${jar[1]}`);
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", (error) => reject(new Error(`could not run mvn (is Maven installed?): ${error.message}`)));
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`mvn exited with code ${code}:\n${output.slice(-30).join("\n")}`));
    });
  });
}

export interface KafkaBrokerOptions {
  /** PLAINTEXT listener on 127.0.0.1. */
  port: number;
  /** KRaft controller listener on 127.0.0.1. */
  controllerPort: number;
  /** Holds server.properties, data (log.dirs), logs and the pid file. */
  dir: string;
  pidFile: string;
  heap?: string;
  log: Log;
}

/**
 * Starts a single-node KRaft broker (combined broker + controller). The storage is formatted on first
 * start and reused afterwards, so a restarted broker keeps its topics and committed offsets.
 */
export async function startKafkaBroker(opts: KafkaBrokerOptions): Promise<PidRecord> {
  const libs = await ensureKafkaJars(opts.log);
  const dataDir = path.join(opts.dir, "data");
  const logsDir = path.join(opts.dir, "logs");
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(logsDir, { recursive: true });
  const serverProperties = path.join(opts.dir, "server.properties");
  fs.writeFileSync(serverProperties, brokerConfig(opts.port, opts.controllerPort, dataDir));
  const log4j = path.join(opts.dir, "log4j.properties");
  fs.writeFileSync(log4j, LOG4J_CONFIG);

  const classpath = path.join(libs, "*");
  const jvm = [`-Xmx${opts.heap ?? "1g"}`, "-Xms256m", "-XX:+UseG1GC", "-Djava.awt.headless=true", `-Dkafka.logs.dir=${logsDir}`, `-Dlog4j.configuration=file:${log4j}`, "-cp", classpath];
  if (!fs.existsSync(path.join(dataDir, "meta.properties"))) {
    opts.log(`kafka: formatting KRaft storage in ${dataDir}`);
    await runJava("kafka-storage format", [...jvm, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", serverProperties, "--ignore-formatted"]);
  }
  opts.log(`kafka: starting broker on 127.0.0.1:${opts.port} (logs in ${logsDir})`);
  return spawnService({
    name: "kafka",
    command: "java",
    args: [...jvm, "kafka.Kafka", serverProperties],
    logFile: path.join(logsDir, "stdout.log"),
    pidFile: opts.pidFile,
    marker: serverProperties,
    port: opts.port,
    readyTimeoutMs: 90_000,
  });
}

/**
 * KRaft cluster ids are 16 random bytes in URL-safe base64 without padding. One in 64 starts with "-", which
 * kafka-storage's argument parser takes for a flag ("--cluster-id: expected one argument"); Kafka's own
 * Uuid.randomUuid skips those too.
 */
function clusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function brokerConfig(port: number, controllerPort: number, dataDir: string): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dataDir}
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Replayed data sets carry event timestamps from years ago; time-based retention would delete them on arrival.
log.retention.ms=-1
log.segment.bytes=268435456
`;
}

const LOG4J_CONFIG = `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=\${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
`;

function runJava(what: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("java", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", (error) => reject(new Error(`could not run java (is a JDK 17 installed?): ${error.message}`)));
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}):\n${output}`))));
  });
}
