package dev.coloha.testkit.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.test.context.ContextCustomizerFactories;

/**
 * The service under test keeps its data in a new temporary directory of its own: the setting named
 * here (e.g. {@code colo.agent.data-dir}) is set to it before the application starts. Each test
 * class gets its own directory and so its own application context (two classes never share one
 * through Spring's context cache); the directory is deleted when that context closes, after the
 * service's beans are destroyed. What {@code @TempDir static Path data} with a
 * {@code @DynamicPropertySource} did in every class.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ContextCustomizerFactories(TemporaryDataDirCustomizerFactory.class)
public @interface TemporaryDataDir {
  /** The setting that names the service's data directory, e.g. {@code colo.mirror.data-dir}. */
  String value();
}
