import { ApiHideProperty } from '@nestjs/swagger';
import { ValidateIf } from 'class-validator';
import { OWNER_NOT_IN_QUERY } from './request-validation.error';
import { IsAbsent } from './validators';

const ownerAbsent = { message: OWNER_NOT_IN_QUERY };

/**
 * The base of list queries: the owner comes from the credentials, so every spelling in OWNER_FIELDS
 * is refused with a message naming the query string.
 */
export abstract class OwnerFreeQuery {
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerId?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerName?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerIds?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_id?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_name?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_ids?: unknown;
}
