package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.ExtendedMapEntry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClaimProcessorTest {
  /** The part of Hazelcast's entry the processor touches. */
  private static final class Entry implements ExtendedMapEntry<String, Claim> {
    Claim value;
    long ttlMillis = -1;

    Entry(Claim value) {
      this.value = value;
    }

    @Override
    public Claim setValue(Claim v, long ttl, TimeUnit unit) {
      Claim old = value;
      value = v;
      ttlMillis = unit.toMillis(ttl);
      return old;
    }

    @Override
    public Claim setValueWithoutChangingExpiryTime(Claim v) {
      return setValue(v, ttlMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public String getKey() {
      return "k";
    }

    @Override
    public Claim getValue() {
      return value;
    }

    @Override
    public Claim setValue(Claim v) {
      return setValue(v, 0, TimeUnit.MILLISECONDS);
    }
  }

  @Test
  void aFreeKeyIsClaimedWithALease() {
    Entry e = new Entry(null);
    assertThat(new ClaimProcessor("a", 5000, null, 100).process(e)).isEqualTo(Claim.running("a"));
    assertThat(e.value).isEqualTo(Claim.running("a"));
    assertThat(e.ttlMillis).isEqualTo(5000);
  }

  @Test
  void aRunningClaimIsKeptFromOthers() {
    Entry e = new Entry(Claim.running("a"));
    assertThat(new ClaimProcessor("b", 5000, null, 100).process(e)).isEqualTo(Claim.running("a"));
    assertThat(e.value.owner()).isEqualTo("a");
  }

  @Test
  void aRunningClaimOfADepartedNodeIsTakenOver() {
    Entry e = new Entry(Claim.running("a"));
    assertThat(new ClaimProcessor("b", 5000, "a", 100).process(e)).isEqualTo(Claim.running("b"));
    assertThat(new ClaimProcessor("c", 5000, "a", 100).process(e)).isEqualTo(Claim.running("b"));
  }

  @Test
  void aDoneClaimIsJoinedOnlyByRequestsThatStartedBeforeItFinished() {
    Claim done = new Claim("a", true, 1000);
    assertThat(new ClaimProcessor("b", 5000, null, 999).process(new Entry(done))).isEqualTo(done);
    assertThat(new ClaimProcessor("b", 5000, null, 1001).process(new Entry(done))).isEqualTo(Claim.running("b"));
    assertThat(new ClaimProcessor("b", 5000, "a", 999).process(new Entry(done))).isEqualTo(done); // done is not dead
  }
}
