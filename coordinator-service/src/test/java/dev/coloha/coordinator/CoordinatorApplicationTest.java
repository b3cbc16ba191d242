package dev.coloha.coordinator;

import dev.coloha.testkit.spring.ServiceApplicationCheck;
import dev.coloha.testkit.spring.TemporaryDataDir;

/** The coordinator boots: health, Prometheus metrics, problem documents. */
@TemporaryDataDir("colo.coordinator.data-dir")
class CoordinatorApplicationTest extends ServiceApplicationCheck {}
