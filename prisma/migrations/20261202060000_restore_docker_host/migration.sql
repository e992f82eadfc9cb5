-- The Docker host an inspection stack was made on (its removal goes there)
ALTER TABLE "instance_restore" ADD COLUMN "dockerHostId" UUID;
