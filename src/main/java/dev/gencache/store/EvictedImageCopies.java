package dev.gencache.store;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Drops this member's near-cache copy of an image as soon as the image map evicts it (the byte budget)
 * or expires it. Hazelcast's eviction does not: map eviction and near-cache eviction are independent
 * (STACK.md §2.4), so a node kept serving, and holding on its heap, images the budget had already
 * evicted, up to the near cache's entry count whatever their size. With this, a node's copies are a
 * subset of what the map holds, and {@link ImageCopies} no longer counts it. One cluster-wide listener
 * per member, without values: any member's near cache may hold the image.
 */
public final class EvictedImageCopies {
  private final Vertx vertx;
  private final IMap<String, ImageBlob> images;
  private final ImageCopies copies;

  public EvictedImageCopies(Vertx vertx, HazelcastInstance hazelcast, ImageCopies copies) {
    this.vertx = vertx;
    this.images = hazelcast.getMap(ImageStore.IMAGES_MAP);
    this.copies = copies;
  }

  /**
   * Registers the listener (a cluster call, so on a worker); complete before serving. It lasts as long
   * as the member, and leaves the cluster with it.
   */
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
      images.addEntryListener(new Listener(copies), false);
      return null;
    });
  }

  /** Runs on Hazelcast's event threads; forgetting a copy is a local map removal under a short lock. */
  private record Listener(ImageCopies copies)
      implements EntryEvictedListener<String, ImageBlob>, EntryExpiredListener<String, ImageBlob> {
    @Override
    public void entryEvicted(EntryEvent<String, ImageBlob> event) {
      copies.forget(event.getKey());
    }

    @Override
    public void entryExpired(EntryEvent<String, ImageBlob> event) {
      copies.forget(event.getKey());
    }
  }
}
