print("reslab")
