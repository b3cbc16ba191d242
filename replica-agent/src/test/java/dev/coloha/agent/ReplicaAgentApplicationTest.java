package dev.coloha.agent;

import dev.coloha.testkit.spring.ServiceApplicationCheck;
import dev.coloha.testkit.spring.TemporaryDataDir;

/** The replica agent boots: health, Prometheus metrics, problem documents. */
@TemporaryDataDir("colo.agent.data-dir")
class ReplicaAgentApplicationTest extends ServiceApplicationCheck {}
