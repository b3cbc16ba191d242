package dev.coloha.mirror;

import dev.coloha.testkit.spring.ServiceApplicationCheck;
import dev.coloha.testkit.spring.TemporaryDataDir;

/** The disk mirror boots: health, Prometheus metrics, problem documents. */
@TemporaryDataDir("colo.mirror.data-dir")
class DiskMirrorApplicationTest extends ServiceApplicationCheck {}
