package dev.gencache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gencache.config.ConfigException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher refuses a bad configuration with exit code 2 and one line naming what is wrong. */
class MainExitTest {
  @TempDir
  Path dir;

  private record Exit(int code, String stderr) {}

  private Exit launch(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName()));
    command.addAll(List.of(args));
    Path stderr = dir.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(stderr.toFile());
    // No inherited GENCACHE_* settings, and no JVM option variables that make the launcher print a note.
    builder.environment().keySet().removeIf(name -> name.startsWith("GENCACHE_")
        || List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS").contains(name));
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail("gencache did not exit within 60 s; stderr: " + read(stderr));
    }
    return new Exit(process.exitValue(), read(stderr));
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }

  private static void assertOneCleanLine(Exit exit) {
    assertThat(exit.code()).as("exit code, stderr: %s", exit.stderr()).isEqualTo(2);
    assertThat(exit.stderr()).startsWith("gencache: ").doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(exit.stderr().strip().lines()).hasSize(1);
  }

  @Test
  void nonNumericPortExitsWithTwoNamingTheKey() throws Exception {
    Exit exit = launch(Map.of("GENCACHE_HTTP_PORT", "notaport"));
    assertOneCleanLine(exit);
    assertThat(exit.stderr()).contains("http.port").contains("notaport");
  }

  @Test
  void missingConfigFileExitsWithTwoNamingTheFile() throws Exception {
    Path missing = dir.resolve("nonexistent.yaml");
    Exit exit = launch(Map.of(), "--config", missing.toString());
    assertOneCleanLine(exit);
    assertThat(exit.stderr()).contains("config file").contains(missing.toString());
  }

  @Test
  void missingConfigFileFromTheEnvironmentExitsWithTwo() throws Exception {
    Path missing = dir.resolve("nonexistent.yaml");
    Exit exit = launch(Map.of("GENCACHE_CONFIG", missing.toString()));
    assertOneCleanLine(exit);
    assertThat(exit.stderr()).contains(missing.toString());
  }

  @Test
  void unknownArgumentExitsWithTwoAndUsage() throws Exception {
    Exit exit = launch(Map.of(), "--bogus");
    assertOneCleanLine(exit);
    assertThat(exit.stderr()).contains("usage").contains("--bogus");
  }

  @Test
  void configFileFlagTakesTheNextArgument() {
    assertThat(Main.configFile(new String[] {"--config", "x.yaml"})).isEqualTo(Path.of("x.yaml"));
  }

  @Test
  void configFileFlagAcceptsTheEqualsForm() {
    assertThat(Main.configFile(new String[] {"--config=x.yaml"})).isEqualTo(Path.of("x.yaml"));
  }

  @Test
  void noArgumentsAndNoEnvironmentMeansNoFile() {
    String env = System.getenv("GENCACHE_CONFIG");
    assumeTrue(env == null || env.isBlank(), "GENCACHE_CONFIG is set in this environment");
    assertThat(Main.configFile(new String[0])).isNull();
  }

  @Test
  void configFlagWithoutAValueIsAUsageError() {
    assertThatThrownBy(() -> Main.configFile(new String[] {"--config"}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("usage");
  }

  @Test
  void unknownArgumentIsAUsageError() {
    assertThatThrownBy(() -> Main.configFile(new String[] {"--bogus"}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("usage")
        .hasMessageContaining("--bogus");
  }

  @Test
  void argumentsAfterTheConfigFileAreCheckedToo() {
    assertThatThrownBy(() -> Main.configFile(new String[] {"--config", "x.yaml", "--bogus"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--bogus");
    assertThatThrownBy(() -> Main.configFile(new String[] {"--config", "a.yaml", "--config=b.yaml"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("twice");
  }
}
