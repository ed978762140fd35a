// Surgery module
