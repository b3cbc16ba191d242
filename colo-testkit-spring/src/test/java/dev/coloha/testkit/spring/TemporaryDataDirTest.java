package dev.coloha.testkit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.test.context.ContextCustomizer;

class TemporaryDataDirTest {
  @TemporaryDataDir("colo.test.data-dir")
  static class OneService {}

  @TemporaryDataDir("colo.test.data-dir")
  static class AnotherService {}

  static class NoDataDir {}

  private final TemporaryDataDirCustomizerFactory factory = new TemporaryDataDirCustomizerFactory();

  private ContextCustomizer customizer(Class<?> testClass) {
    return factory.createContextCustomizer(testClass, List.of());
  }

  @Test
  void theSettingNamesANewEmptyDirectoryThatIsDeletedWithTheServicesData() throws Exception {
    Path dir;
    try (GenericApplicationContext context = new GenericApplicationContext()) {
      customizer(OneService.class).customizeContext(context, null);
      context.refresh();
      dir = Path.of(context.getEnvironment().getRequiredProperty("colo.test.data-dir"));
      assertThat(dir).isEmptyDirectory();
      assertThat(dir.getFileName().toString()).startsWith("OneService-");
      Files.createDirectories(dir.resolve("disks"));
      Files.writeString(dir.resolve("disks/a.img"), "written by the service");
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void eachTestClassHasADirectoryAndAContextOfItsOwn() throws Exception {
    assertThat(customizer(OneService.class))
        .isEqualTo(customizer(OneService.class))
        .isNotEqualTo(customizer(AnotherService.class));
    try (GenericApplicationContext one = new GenericApplicationContext();
        GenericApplicationContext again = new GenericApplicationContext()) {
      customizer(OneService.class).customizeContext(one, null);
      customizer(OneService.class).customizeContext(again, null);
      one.refresh();
      again.refresh();
      assertThat(one.getEnvironment().getProperty("colo.test.data-dir"))
          .isNotEqualTo(again.getEnvironment().getProperty("colo.test.data-dir"));
    }
  }

  @Test
  void aClassWithoutTheAnnotationIsLeftAsItIs() {
    assertThat(customizer(NoDataDir.class)).isNull();
  }
}
