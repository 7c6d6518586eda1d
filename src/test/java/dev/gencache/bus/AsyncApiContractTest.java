package dev.gencache.bus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.cluster.Addresses;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** asyncapi.yaml documents exactly the addresses the bridges let through, with schemas that exist. */
class AsyncApiContractTest {
  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(String resource) throws IOException {
    try (InputStream in = AsyncApiContractTest.class.getResourceAsStream(resource)) {
      return new Yaml().load(in);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void theDocumentedChannelsAreTheBridgedAddresses() throws IOException {
    Map<String, Object> doc = load("/asyncapi.yaml");
    Set<String> documented = new HashSet<>();
    ((Map<String, Map<String, Object>>) doc.get("channels")).values()
        .forEach(channel -> documented.add((String) channel.get("address")));
    Set<String> bridged = new HashSet<>();
    bridged.addAll(Addresses.BRIDGED_REQUESTS);
    bridged.addAll(Addresses.BRIDGED_ADMIN_REQUESTS);
    bridged.addAll(Addresses.BRIDGED_EVENTS);
    assertThat(documented).isEqualTo(bridged);
    assertThat(documented).noneMatch(a -> a.startsWith("gencache.internal."));
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyReferencedHttpSchemaExists() throws IOException {
    String text;
    try (InputStream in = AsyncApiContractTest.class.getResourceAsStream("/asyncapi.yaml")) {
      text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) load("/openapi.yaml")
        .get("components")).get("schemas");
    Matcher m = Pattern.compile("openapi\\.yaml#/components/schemas/(\\w+)").matcher(text);
    List<String> referenced = new ArrayList<>();
    while (m.find()) {
      referenced.add(m.group(1));
    }
    assertThat(referenced).isNotEmpty();
    assertThat(schemas.keySet()).containsAll(referenced);
  }
}
