package dev.coloha.proxy;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** COLO proxy: client ingress, mirrored input, output comparison, release or hold. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PacketProxyApplication {
  public static void main(String[] args) {
    SpringApplication.run(PacketProxyApplication.class, args);
  }
}
