package dev.gencache.image;

import dev.gencache.store.ImageBlob;

/**
 * Work done for each new image once it is hashed and before any request is answered with it (the
 * first level writes a large image's page-cache file, so that a burst's waiters are all answered
 * with {@code sendfile}). It says which sizes it blocks for, so that the images it does no I/O for
 * can be hashed and prepared without a worker's round trip.
 */
public interface ImagePreparation {
  ImagePreparation NONE = new ImagePreparation() {
    @Override
    public boolean blocks(int bytes) {
      return false;
    }

    @Override
    public void prepare(ImageBlob blob) {}
  };

  /** Whether {@link #prepare} does blocking I/O for an image of {@code bytes} bytes. */
  boolean blocks(int bytes);

  /** Prepares {@code blob}; called on a worker thread whenever {@link #blocks} says so for its size. */
  void prepare(ImageBlob blob);
}
