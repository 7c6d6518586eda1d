package dev.gencache.generate;

/**
 * One image as a generator produced it. The byte array is handed over: nobody mutates it afterwards.
 *
 * @param bytes         encoded image
 * @param mediaType     e.g. {@code image/png}
 * @param width         pixel width
 * @param height        pixel height
 * @param revisedPrompt the prompt the generator actually used, or {@code null}
 */
public record GeneratedImage(byte[] bytes, String mediaType, int width, int height, String revisedPrompt) {}
