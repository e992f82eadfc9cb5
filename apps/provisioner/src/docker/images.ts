// Images are pulled (or, in tests, imported) elsewhere; here we only ask whether one is present.
import type Docker from 'dockerode';
import { isNotFound } from './errors.ts';

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
