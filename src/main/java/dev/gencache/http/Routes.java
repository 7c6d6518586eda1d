package dev.gencache.http;

import io.vertx.ext.web.Router;

/** A feature's HTTP routes, mounted on each server instance's router. */
public interface Routes {
  void mount(Router router);
}
