import Engine
print(BLASInfo.coreName)
