package dev.coloha.coordinator;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** COLO manager: groups, hosts, checkpoint decisions, failover, re-protection. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class CoordinatorApplication {
  public static void main(String[] args) {
    SpringApplication.run(CoordinatorApplication.class, args);
  }
}
