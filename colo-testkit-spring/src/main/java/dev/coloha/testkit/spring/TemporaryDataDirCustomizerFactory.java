package dev.coloha.testkit.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/** Gives a test class annotated with {@link TemporaryDataDir} its new data directory. */
public final class TemporaryDataDirCustomizerFactory implements ContextCustomizerFactory {
  @Override
  public ContextCustomizer createContextCustomizer(
      Class<?> testClass, List<ContextConfigurationAttributes> configAttributes) {
    TemporaryDataDir dir =
        AnnotatedElementUtils.findMergedAnnotation(testClass, TemporaryDataDir.class);
    return dir == null ? null : new Customizer(testClass, dir.value());
  }

  /**
   * Equal for one test class and setting only: the class's context is its own, as it was with a
   * {@code @DynamicPropertySource} method of the class.
   */
  private record Customizer(Class<?> testClass, String setting) implements ContextCustomizer {
    @Override
    public void customizeContext(
        ConfigurableApplicationContext context, MergedContextConfiguration mergedConfig) {
      Path dir;
      try {
        dir = Files.createTempDirectory(testClass.getSimpleName() + "-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      context
          .getEnvironment()
          .getPropertySources()
          .addFirst(
              new MapPropertySource("temporary data directory", Map.of(setting, dir.toString())));
      // registered before any of the service's beans, so destroyed after all of them
      if (context.getBeanFactory() instanceof DefaultSingletonBeanRegistry registry) {
        registry.registerDisposableBean(
            TemporaryDataDir.class.getName(), (DisposableBean) () -> delete(dir));
      }
    }
  }

  /** Deletes the directory and all in it, the deepest first. */
  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
