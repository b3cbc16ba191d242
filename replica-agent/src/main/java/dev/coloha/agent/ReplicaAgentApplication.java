package dev.coloha.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The replica agent: one per host; runs micro-VMs and replicates them. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ReplicaAgentApplication {
  public static void main(String[] args) {
    SpringApplication.run(ReplicaAgentApplication.class, args);
  }
}
