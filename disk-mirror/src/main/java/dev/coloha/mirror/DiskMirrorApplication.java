package dev.coloha.mirror;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** COLO disk manager: replicated virtual disks with hidden writes, overlays and barriers. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DiskMirrorApplication {
  public static void main(String[] args) {
    SpringApplication.run(DiskMirrorApplication.class, args);
  }
}
